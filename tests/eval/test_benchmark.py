"""`policykb bench` on a tiny real corpus: figures are produced and shaped right (never asserted fast)."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from api.cli import app
from tests.conftest import REPO, SEED

runner = CliRunner()


def test_bench_reports_throughput_and_latency_per_mode(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    out = tmp_path / "figures.json"
    result = runner.invoke(
        app,
        ["--kb", str(tmp_path / "kb"), "bench", str(folder), "--queries",
         str(REPO / "eval" / "datasets" / "smoke_queries.jsonl"), "--limit-queries", "3", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["files"] == 1 and figures["chunks"] > 0 and figures["failed"] == 0
    assert [lat["mode"] for lat in figures["latency"]] == ["hybrid", "bm25", "dense"]
    assert all(lat["queries"] == 3 and 0 < lat["p50_ms"] <= lat["p95_ms"] for lat in figures["latency"])
    assert figures["lexical"]["characters"] > 0
    assert "| hybrid | 3 |" in result.output


def test_bench_refuses_a_base_that_is_not_empty(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    kb = str(tmp_path / "kb")
    assert runner.invoke(app, ["--kb", kb, "ingest", str(folder)]).exit_code == 0
    queries = str(REPO / "eval" / "datasets" / "smoke_queries.jsonl")
    result = runner.invoke(app, ["--kb", kb, "bench", str(folder), "--queries", queries])
    assert result.exit_code == 2 and "empty knowledge base" in result.output
