"""The contract every index backend honours (`IndexBackend`, `DenseIndex`, `LexicalIndex`), run
against each backend with the real model and the real tokenizer: the knowledge base depends on
nothing else."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from index.dense import DenseLayout
from index.lexical import ChineseTokenizer
from index.local import LocalBackend
from index.types import Allowed, ChunkFields

PASSAGES = {
    101: "清廉村居建设的核心标准是五清：班子清廉、村务清爽、思想清正、民风清醇、干群亲清。",
    102: "公务用车做到六个不得，严禁公车私用。",
    103: "清廉医院重点规范药品集采和医保基金使用问题。",
    104: "清廉学校关注师德师风和学生食堂监管。",
}
FIELDS = {
    101: ChunkFields("doc-village", "第一章 清廉村居"),
    102: ChunkFields("doc-office", "第二章 清廉机关 > 第五条"),
    103: ChunkFields("doc-health", "第三章 清廉医院"),
    104: ChunkFields("doc-health", "第四章 清廉学校"),
}
QUERY, EXPECTED = "医保基金怎么管", 103
IDS = np.array(list(PASSAGES), dtype=np.int64)
MODEL = "m3e-small-test"

BACKENDS = ["local", "local-ivf", "milvus"]


def open_backend(name: str, folder):
    if name == "milvus":
        if importlib.util.find_spec("pymilvus") is None:
            pytest.skip("the milvus extra is not installed")
        from index.milvus import MilvusBackend  # noqa: PLC0415 -- optional extra

        return MilvusBackend(str(folder / "milvus.db"), "conformance")
    return LocalBackend(folder, layout=DenseLayout("ivf" if name == "local-ivf" else "flat"))


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    opened = open_backend(request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return ChineseTokenizer(cache_dir=tmp_path_factory.mktemp("jieba"))


@pytest.fixture(scope="module")
def vectors(embedder):
    return embedder.encode_documents(list(PASSAGES.values()))


@pytest.fixture(params=["dense", "lexical"])
def index(request, backend, tokenizer, vectors, embedder):
    """(a filled index, how it searches a text, how it is opened again from its saved state)."""
    fields = [FIELDS[i] for i in IDS.tolist()]
    if request.param == "dense":
        dense = backend.empty_dense(MODEL)
        dense.add(IDS, vectors, fields)
        dense.save()
        return dense, lambda index, text, k, allowed=None: index.search(
            embedder.encode_queries([text])[0], k, allowed), lambda: backend.load_dense(MODEL)
    lexical = backend.empty_lexical(tokenizer)
    lexical.add(IDS, list(PASSAGES.values()), fields)
    lexical.save()
    return lexical, lambda index, text, k, allowed=None: index.search(text, k, allowed), \
        lambda: backend.load_lexical(tokenizer)


def allowed_of(ids: list[int]) -> Allowed:
    """The same restriction in both forms, as the store writes it."""
    return Allowed(np.array(ids, dtype=np.int64), tuple(sorted({FIELDS[i].doc_id for i in ids})))


def test_search_ranks_the_relevant_passage_first(index):
    retriever, search, _ = index
    found = search(retriever, QUERY, 2)
    assert found.ids[0] == EXPECTED
    assert len(found.ids) <= 2 and np.all(np.diff(found.scores) <= 0)
    assert found.ids.dtype == np.int64 and len(retriever) == len(PASSAGES)


def test_allowed_documents_restrict_results(index):
    retriever, search, _ = index
    found = search(retriever, "医保基金和公车私用", 4, allowed_of([101, 102]))  # 103 would match
    assert 102 in found.ids.tolist() and set(found.ids.tolist()) <= {101, 102}
    assert len(search(retriever, QUERY, 4, Allowed(np.array([], dtype=np.int64), ())).ids) == 0


def test_a_section_prefix_restricts_within_a_document(index):
    retriever, search, _ = index
    # doc-health holds 103 (第三章) and 104 (第四章): the prefix keeps 104 only.
    allowed = Allowed(np.array([104], dtype=np.int64), ("doc-health",), "第四章")
    assert search(retriever, "医保基金和学生食堂", 4, allowed).ids.tolist() == [104]


def test_remove_takes_passages_out(index):
    retriever, search, _ = index
    retriever.remove(np.array([EXPECTED]))
    assert sorted(retriever.ids().tolist()) == [101, 102, 104]
    assert EXPECTED not in search(retriever, QUERY, 4).ids.tolist()


def test_saved_state_opens_again_with_the_same_answers(index):
    retriever, search, reopen = index
    loaded = reopen()
    assert sorted(loaded.ids().tolist()) == sorted(PASSAGES)
    assert search(loaded, QUERY, 3).ids.tolist() == search(retriever, QUERY, 3).ids.tolist()


def test_a_dropped_index_is_gone(index):
    retriever, _, reopen = index
    retriever.drop()
    with pytest.raises(ValueError):
        reopen()


def test_nothing_saved_is_a_value_error_and_empty_indexes_return_nothing(backend, tokenizer, embedder):
    with pytest.raises(ValueError):
        backend.load_dense("no-such-model")
    with pytest.raises(ValueError):
        backend.load_lexical(tokenizer)
    dense, lexical = backend.empty_dense(MODEL), backend.empty_lexical(tokenizer)
    assert len(dense.search(embedder.encode_queries([QUERY])[0], 3).ids) == 0
    assert len(lexical.search(QUERY, 3).ids) == 0 and len(dense.ids()) == len(lexical.ids()) == 0


def test_lexical_add_replaces_a_chunk_and_document_frequency_follows(backend, tokenizer):
    lexical = backend.empty_lexical(tokenizer)
    lexical.add(IDS, list(PASSAGES.values()), [FIELDS[i] for i in IDS.tolist()])
    assert lexical.document_frequency("清廉") == 3 and lexical.document_frequency("红烧肉") == 0
    assert lexical.document_frequency("医保") == 1
    lexical.add(np.array([103]), ["清廉学校规范食堂。"], [FIELDS[103]])
    assert len(lexical) == len(PASSAGES) and lexical.document_frequency("医保") == 0
    assert 103 not in lexical.search("医保基金", 4).ids.tolist()


def test_expansion_terms_come_from_the_feedback_chunks_and_extra_terms_reach_them(backend, tokenizer):
    lexical = backend.empty_lexical(tokenizer)
    lexical.add(IDS, list(PASSAGES.values()), [FIELDS[i] for i in IDS.tolist()])
    terms = lexical.expansion_terms([103], "医保基金", 3)
    held = set(tokenizer.tokenize(PASSAGES[103]))
    assert len(terms) == 3 and set(terms) <= held and not {"医保", "基金"} & set(terms)
    assert all(len(term) > 1 for term in terms)
    # A query that matches nothing reaches the feedback chunk through its terms.
    assert lexical.search("红烧肉", 3).ids.tolist() == []
    assert lexical.search("红烧肉", 3, extra_terms=terms).ids[0] == 103
