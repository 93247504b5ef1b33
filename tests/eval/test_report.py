"""Metric wiring against a tiny run checked by hand, and the report files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.datasets import Dataset, Passage, Query
from eval.report import METRICS, evaluate_runs, write_report
from eval.runner import ConfigRun, QueryResult

PASSAGES = {pid: Passage(pid, "", f"段落{pid}") for pid in ("a", "b", "c", "x", "y")}
DATASET = Dataset(
    "tiny", Path("."), PASSAGES, (Query("q1", "问题一"), Query("q2", "问题二")),
    {"q1": {"a": 1}, "q2": {"b": 1, "c": 1, "x": 0}}, "test",
)


def run(name: str, q1: tuple[str, ...], q2: tuple[str, ...], ms: float = 1.0) -> ConfigRun:
    return ConfigRun(name, f"{name} by hand", (QueryResult("q1", q1, ms / 1000), QueryResult("q2", q2, ms / 1000)))


def test_metrics_match_a_run_checked_by_hand():
    # q1: the one relevant passage at rank 2. q2: two relevant, at ranks 1 and 3 ("x" is judged 0).
    evaluation = evaluate_runs(DATASET, "passage", [run("hand", ("x", "a"), ("b", "x", "c"))])
    scores = evaluation.scores["hand"]
    assert scores["recall@1"] == pytest.approx((0 + 1 / 2) / 2)
    assert scores["recall@5"] == pytest.approx(1.0)
    assert scores["mrr@10"] == pytest.approx((1 / 2 + 1) / 2)
    ndcg_q1 = (1 / math.log2(3)) / 1
    ndcg_q2 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 2)
    assert scores["map@100"] == pytest.approx((1 / 2 + (1 / 1 + 2 / 3) / 2) / 2)
    assert evaluation.per_query["hand"]["recall@1"] == {"q1": 0.0, "q2": 0.5}


def test_a_query_with_nothing_found_scores_zero_instead_of_vanishing():
    evaluation = evaluate_runs(DATASET, "passage", [run("empty", (), ("b", "c"))])
    assert evaluation.queries == 2
    assert evaluation.scores["empty"]["recall@100"] == pytest.approx(0.5)


def test_report_files_tables_runs_and_plots(tmp_path):
    runs = [run("good", ("a",), ("b", "c"), 2.0), run("bad", ("x", "y"), ("y", "x"), 5.0)]
    evaluation = evaluate_runs(DATASET, "passage", runs)
    written = write_report(evaluation, DATASET, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in written}
    assert names == {"runs/good.trec", "runs/bad.trec", "recall_at_k.png", "wins_losses.png", "report.json",
                     "report.md"}
    for png in ("recall_at_k.png", "wins_losses.png"):
        assert (tmp_path / "out" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    trec = (tmp_path / "out" / "runs" / "good.trec").read_text().splitlines()
    assert trec == ["q1 Q0 a 1 1 good", "q2 Q0 b 1 2 good", "q2 Q0 c 2 1 good"]
    data = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert data["metrics"] == list(METRICS) and data["queries"] == 2
    assert data["runs"]["good"]["scores"]["recall@100"] == 1.0
    assert data["runs"]["bad"]["scores"]["recall@100"] == 0.0
    assert data["runs"]["good"]["latency_ms"] == {"p50": pytest.approx(2.0), "p95": pytest.approx(2.0)}
    assert set(data["runs"]["good"]["p_values"]["bad"]) == set(METRICS)
    assert data["runs"]["good"]["win_tie_loss"]["bad"]["ndcg@10"] == {"W": 2, "T": 0, "L": 0}
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "| a | `good` | 0.750 | 1.000<sup>b</sup> |" in report and "| b | `bad` | 0.000 | 0.000 |" in report
    assert "![recall@k](recall_at_k.png)" in report


def test_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        evaluate_runs(DATASET, "passage", [run("same", ("a",), ("b",)), run("same", ("a",), ("b",))])
