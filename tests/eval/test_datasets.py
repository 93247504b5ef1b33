"""BEIR loading: formats, clear errors, the fixed tune/confirm split, the committed seed benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import make_seed_benchmark
from eval.datasets import Query, load_dataset, read_qrels, split_queries
from tests.conftest import REPO


def write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: str, split: str = "test") -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in corpus), "utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in queries), "utf-8")
    (folder / "qrels" / f"{split}.tsv").write_text(qrels, "utf-8")
    return folder


CORPUS = [
    {"_id": "a", "title": "甲法 第一条", "text": "第一条内容。", "law": "中华人民共和国甲法", "article": "第一条"},
    {"_id": "b", "title": "", "text": "没有标题的段落。"},
]


def test_loads_passages_queries_and_judgements(tmp_path):
    folder = write_beir(tmp_path / "set", CORPUS, [{"_id": "1", "text": " 问题一 "}, {"_id": "2", "text": "问题二"}],
                        "query-id\tcorpus-id\tscore\n1\ta\t1\n1\tb\t0\n")
    data = load_dataset(folder)
    assert data.split == "test" and set(data.passages) == {"a", "b"}
    assert data.passages["a"].fields["law"] == "中华人民共和国甲法"
    assert data.passages["a"].indexed_text == "甲法 第一条\n第一条内容。"
    assert data.passages["b"].indexed_text == "没有标题的段落。"
    # query 2 has no relevant judgement, so it cannot be scored and is dropped
    assert data.queries == (Query("1", "问题一"),)
    assert data.qrels == {"1": {"a": 1, "b": 0}}


def test_trec_qrels_and_headerless_tsv_are_read(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("7\t0\tx\t2\n8\ty\t1\n", "utf-8")
    assert read_qrels(path) == {"7": {"x": 2}, "8": {"y": 1}}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "corpus.jsonl").unlink(), "corpus.jsonl is missing"),
        (lambda f: (f / "qrels" / "test.tsv").unlink(), "has no judgements"),
        (lambda f: (f / "qrels" / "dev.tsv").write_text("1\ta\t1\n"), "several splits"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("1\tzzz\t1\n"), "not in corpus.jsonl"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("1\ta\n"), "expected query-id, corpus-id and score"),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "a"}\nnot json\n'), "corpus.jsonl:2: not a JSON line"),
    ],
)
def test_broken_datasets_are_refused_with_the_reason(tmp_path, damage, message):
    folder = write_beir(tmp_path / "set", CORPUS, [{"_id": "1", "text": "问题"}], "1\ta\t1\n")
    damage(folder)
    with pytest.raises(ValueError, match=message):
        load_dataset(folder)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="benchmark folder not found"):
        load_dataset(tmp_path / "nowhere")


def test_tune_and_confirm_split_is_fixed_and_disjoint():
    queries = tuple(Query(str(i), f"q{i}") for i in range(400))
    tune, confirm = split_queries(queries, 0.3)
    assert split_queries(queries, 0.3) == (tune, confirm)
    assert not {q.id for q in tune} & {q.id for q in confirm}
    assert len(tune) + len(confirm) == 400
    assert 80 < len(tune) < 160  # about 30 %


def test_committed_seed_benchmark_matches_its_build_script():
    folder = REPO / "eval" / "datasets" / "seed_beir"
    for name, text in make_seed_benchmark.build().items():
        assert (folder / name).read_text("utf-8") == text, f"rerun python -m eval.make_seed_benchmark ({name})"
    data = load_dataset(folder)
    seed = (REPO / "corpus" / "000_5c55d41fe458c655.txt").read_text("utf-8")
    assert len(data.queries) >= 50
    assert all(p.text in seed for p in data.passages.values())
