"""`policykb eval retrieval` on the committed seed benchmark, both modes, as CI runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.conftest import REPO

runner = CliRunner()
SEED_BEIR = REPO / "eval" / "datasets" / "seed_beir"


def test_eval_retrieval_on_the_seed_set_in_both_modes(tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        ["eval", "retrieval", str(SEED_BEIR), "--mode", "passage", "--mode", "e2e", "--docs", str(REPO / "corpus"),
         "--out", str(out), "--cache", str(tmp_path / "cache")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    names = ["rank_bm25", "m3e-flat", "bm25", "dense", "hybrid-rrf", "hybrid-convex", "hybrid-convex+doc"]
    reports = {}
    for mode in ("passage", "e2e"):
        folder = out / mode
        assert sorted(p.name for p in (folder / "runs").iterdir()) == sorted(f"{n}.trec" for n in names)
        assert (folder / "recall_at_k.png").stat().st_size > 10_000
        reports[mode] = json.loads((folder / "report.json").read_text("utf-8"))
        assert list(reports[mode]["runs"]) == names and reports[mode]["queries"] == 60
    # The baselines see the corpus passages, so they are the same in both modes.
    assert reports["passage"]["runs"]["rank_bm25"]["scores"] == reports["e2e"]["runs"]["rank_bm25"]["scores"]
    # Pinned quality on the seed set (measured 0.931 and 0.816): a regression fails CI.
    assert reports["passage"]["runs"]["hybrid-convex"]["scores"]["ndcg@10"] >= 0.90
    assert reports["e2e"]["runs"]["hybrid-convex"]["scores"]["ndcg@10"] >= 0.78
    assert reports["e2e"]["runs"]["hybrid-convex"]["scores"]["recall@20"] >= 0.95
    assert reports["e2e"]["indexed_chunks"] > 0
    assert "| f | `hybrid-convex` |" in result.output

    # Only query-side settings change: both bases are reused, nothing is encoded again.
    again = runner.invoke(
        app,
        ["eval", "retrieval", str(SEED_BEIR), "--mode", "e2e", "--docs", str(REPO / "corpus"), "--no-baselines",
         "--config", "wide:mode=hybrid,fusion=rrf,rrf_k=10", "--out", str(tmp_path / "again"),
         "--cache", str(tmp_path / "cache"), "--subset", "tune"],
        catch_exceptions=False,
    )
    assert again.exit_code == 0, again.output
    assert len(list((tmp_path / "cache").iterdir())) == 2
    tuned = json.loads((tmp_path / "again" / "e2e" / "report.json").read_text("utf-8"))
    assert list(tuned["runs"]) == ["wide"] and tuned["subset"] == "tune" and 0 < tuned["queries"] < 60


def test_bad_options_exit_with_a_message(tmp_path):
    for args, message in [
        ([str(tmp_path / "nowhere")], "benchmark folder not found"),
        ([str(SEED_BEIR), "--mode", "e2e"], "e2e mode needs --docs"),
        ([str(SEED_BEIR), "--config", "x:chunk_max_chars=10"], "shapes the index"),
        ([str(SEED_BEIR), "--subset", "half"], "unknown query subset"),
        ([str(SEED_BEIR), "--baseline", "bm42"], "unknown baseline"),
    ]:
        result = runner.invoke(app, ["eval", "retrieval", *args, "--cache", str(tmp_path / "c")])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


def test_stard_script_explains_missing_data(tmp_path):
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "eval_stard.sh")],
        env={**os.environ, "STARD_DIR": str(tmp_path / "absent")}, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert "STARD data not found" in result.stderr


def test_eval_base_prints_the_cached_base_it_built(tmp_path):
    result = runner.invoke(app, ["eval", "base", str(SEED_BEIR), "--cache", str(tmp_path / "cache")],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "cache" and (folder / "kb.sqlite").is_file()
    missing = runner.invoke(app, ["eval", "base", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "benchmark folder not found" in missing.output
