"""`policykb tune` end to end on the committed seed benchmark: real model, real training, real base."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from config.settings import Settings
from eval.datasets import load_dataset, read_qrels
from eval.runner import open_base
from index.kb import KnowledgeBase
from index.models import active_model
from tests.conftest import REPO
from tune.tuning import split_for_validation

runner = CliRunner()
SEED_BEIR = REPO / "eval" / "datasets" / "seed_beir"
TUNE = ["--queries", str(SEED_BEIR / "queries.jsonl"), "--qrels", str(SEED_BEIR / "qrels" / "test.tsv"),
        "--epochs", "3", "--batch-size", "16", "--max-seq-length", "64"]  # the first 64 tokens of a seed paragraph carry its topic


def _folder_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Content hash and modification time of every file of a model folder."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def seed_base(tmp_path_factory, embedder) -> Path:
    """The seed benchmark's 53 paragraphs as a passage-mode base (the same base `eval retrieval` builds)."""
    kb, _ = open_base(load_dataset(SEED_BEIR), "passage", Settings(), tmp_path_factory.mktemp("cache"),
                      embedder=embedder)
    kb.close()
    return kb.dir


@pytest.fixture(scope="module")
def tuned(seed_base: Path) -> tuple[Path, dict, str]:
    """One tune run through the CLI: (base, tune.json record, output), with the original model checked untouched."""
    original = Settings().model_path()
    before = _folder_state(original)
    result = runner.invoke(app, ["--kb", str(seed_base), "tune", *TUNE, "--name", "seed-tuned"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _folder_state(original) == before  # a tune run never writes the original model
    record = json.loads((seed_base / "models" / "seed-tuned" / "tune.json").read_text("utf-8"))
    return seed_base, record, result.output


def test_tuning_improves_validation_retrieval_over_the_original(tuned):
    base, record, output = tuned
    scores = record["evaluation"]
    original, after = scores["original/dense"], scores["tuned/dense"]
    # Margins well inside what a run gives (R@1 0.75 -> 0.94 measured with 128 training tokens).
    assert after["recall@1"] >= original["recall@1"] + 0.08
    assert after["mrr@10"] >= original["mrr@10"] + 0.05
    assert record["better"] is True and record["reason"].startswith("better")
    assert "about" in output and "min on this machine" in output  # the time estimate shown before training
    assert "| c | `tuned/dense` |" in output

    data = record["training_data"]
    assert (data["train_questions"], data["validation_questions"]) == (48, 12)
    assert data["pairs"] >= 48 and data["pairs_with_mined_negative"] == data["pairs"]
    folder = base / "models" / "seed-tuned"
    train = read_qrels(folder / "train-qrels.tsv")
    validation = read_qrels(folder / "validation-qrels.tsv")
    assert len(validation) == 12 and not set(train) & set(validation)  # held out before training
    assert record["options"]["epochs"] == 3 and record["training_seconds"] > 0


def test_reindex_switches_the_base_to_the_tuned_model_and_back(tuned):
    base, _, _ = tuned
    listed = runner.invoke(app, ["--kb", str(base), "models"], catch_exceptions=False)
    assert "seed-tuned" in listed.output and "yes" in listed.output

    switched = runner.invoke(app, ["--kb", str(base), "reindex", "--model", "seed-tuned"], catch_exceptions=False)
    assert switched.exit_code == 0, switched.output
    assert "53 passages indexed, 0 newly encoded" in switched.output  # the tune run's evaluation filled the cache
    assert active_model(base) == "seed-tuned"
    with KnowledgeBase(Settings(kb_dir=base)) as kb:
        assert kb.embedder.model_id.startswith("seed-tuned-")
        hits = kb.search("村居建设的五清是什么", k=3, mode="dense")
        assert any("班子清廉" in hit.chunk.text for hit in hits)
    answer = runner.invoke(app, ["--kb", str(base), "ask", "村居建设的五清是什么"], catch_exceptions=False)
    assert answer.exit_code == 0 and "班子清廉" in answer.output

    back = runner.invoke(app, ["--kb", str(base), "reindex", "--model", "original"], catch_exceptions=False)
    assert back.exit_code == 0 and "0 newly encoded" in back.output
    assert active_model(base) is None
    with KnowledgeBase(Settings(kb_dir=base)) as kb:
        assert kb.embedder.model_id.startswith("m3e-small-")


def test_a_model_that_is_not_better_is_refused_unless_forced(tuned):
    base, _, _ = tuned
    # A learning rate this high wrecks the model: the judge must say so.
    result = runner.invoke(app, ["--kb", str(base), "tune", *TUNE, "--name", "wrecked", "--learning-rate", "0.05",
                                 "--epochs", "1", "--max-seq-length", "32"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    record = json.loads((base / "models" / "wrecked" / "tune.json").read_text("utf-8"))
    assert record["better"] is False and "not better" in record["reason"]
    assert "Search with it" not in result.output

    refused = runner.invoke(app, ["--kb", str(base), "reindex", "--model", "wrecked"])
    assert refused.exit_code == 2 and "not marked better" in refused.output and "--force" in refused.output
    assert active_model(base) is None
    forced = runner.invoke(app, ["--kb", str(base), "reindex", "--model", "wrecked", "--force"])
    assert forced.exit_code == 0 and active_model(base) == "wrecked"
    runner.invoke(app, ["--kb", str(base), "reindex", "--model", "original"], catch_exceptions=False)


def test_bad_requests_are_clear_errors(tuned, tmp_path):
    base, _, _ = tuned
    cases = [
        (["--name", "seed-tuned"], "exists"),
        (["--name", "original"], "names the configured model"),
        (["--name", "../escape"], "invalid model name"),
    ]
    for extra, message in cases:
        result = runner.invoke(app, ["--kb", str(base), "tune", *TUNE, *extra])
        assert result.exit_code == 2 and message in result.output, result.output
    missing = runner.invoke(app, ["--kb", str(base), "tune", "--queries", str(tmp_path / "q.jsonl"),
                                  "--qrels", str(tmp_path / "none.tsv")])
    assert missing.exit_code == 2 and "not found" in missing.output
    unknown = runner.invoke(app, ["--kb", str(base), "reindex", "--model", "nope"])
    assert unknown.exit_code == 2 and "no model named 'nope'" in unknown.output
    empty = runner.invoke(app, ["--kb", str(tmp_path / "empty"), "tune", *TUNE, "--name", "x"])
    assert empty.exit_code == 2 and "the base is empty" in empty.output


def test_the_validation_split_is_fixed_and_disjoint():
    queries = load_dataset(SEED_BEIR).queries
    train, validation = split_for_validation(queries, 0.2, 42)
    assert len(validation) == 12 and len(train) == 48
    assert not {q.id for q in train} & {q.id for q in validation}
    assert {q.id for q in validation} == {q.id for q in split_for_validation(tuple(reversed(queries)), 0.2, 42)[1]}
    assert {q.id for q in validation} != {q.id for q in split_for_validation(queries, 0.2, 7)[1]}
