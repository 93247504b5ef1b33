"""The contract every Retriever backend must honour, run against each with the real model."""

from __future__ import annotations

import numpy as np
import pytest

from index.dense import DenseLayout, FaissRetriever
from index.lexical import BM25Retriever, ChineseTokenizer

PASSAGES = {
    101: "清廉村居建设的核心标准是五清：班子清廉、村务清爽、思想清正、民风清醇、干群亲清。",
    102: "公务用车做到六个不得，严禁公车私用。",
    103: "清廉医院重点规范药品集采和医保基金使用问题。",
    104: "清廉学校关注师德师风和学生食堂监管。",
}
QUERY, EXPECTED = "医保基金怎么管", 103


@pytest.fixture(params=["bm25", "dense", "dense-ivf"])
def backend(request, embedder, tmp_path):
    if request.param == "bm25":
        tokenizer = ChineseTokenizer(cache_dir=tmp_path / "jieba")
        return (
            BM25Retriever(tokenizer),
            lambda folder: BM25Retriever.load(folder, tokenizer, 1.2, 0.75),
        )
    layout = DenseLayout("ivf" if request.param == "dense-ivf" else "flat")
    return FaissRetriever(embedder, layout=layout), lambda folder: FaissRetriever.load(folder, embedder, layout)


def filled(retriever):
    retriever.add(np.array(list(PASSAGES)), list(PASSAGES.values()))
    if isinstance(retriever, FaissRetriever):
        retriever.settle()  # the IVF layout reorganises before saving; do it now so searches go through IVF
        assert retriever.is_ivf == (retriever.layout.kind == "ivf")
    return retriever


def test_search_ranks_the_relevant_passage_first(backend):
    retriever = filled(backend[0])
    found = retriever.search(QUERY, k=2)
    assert found.ids[0] == EXPECTED
    assert len(found.ids) <= 2 and np.all(np.diff(found.scores) <= 0)


def test_allowed_ids_restrict_results(backend):
    retriever = filled(backend[0])
    found = retriever.search(QUERY, k=4, allowed=np.array([101, 102]))
    assert set(found.ids.tolist()) <= {101, 102}
    assert len(retriever.search(QUERY, k=4, allowed=np.array([], dtype=np.int64)).ids) == 0


def test_remove_takes_passages_out(backend):
    retriever = filled(backend[0])
    retriever.remove(np.array([EXPECTED]))
    assert sorted(retriever.ids().tolist()) == [101, 102, 104]
    assert EXPECTED not in retriever.search(QUERY, k=4).ids.tolist()


def test_save_and_load_give_the_same_answers(backend, tmp_path):
    retriever, load = backend
    filled(retriever)
    folder = tmp_path / "saved"
    retriever.save(folder)
    loaded = load(folder)
    assert sorted(loaded.ids().tolist()) == sorted(PASSAGES)
    assert loaded.search(QUERY, k=3).ids.tolist() == retriever.search(QUERY, k=3).ids.tolist()


def test_empty_retriever_returns_nothing(backend):
    assert len(backend[0].search(QUERY, k=3).ids) == 0
    assert len(backend[0].ids()) == 0
