"""Feedback given over real HTTP becomes a BEIR dataset that `eval retrieval` can score."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from eval.datasets import load_dataset, load_judgements
from tests.conftest import SEED
from tests.live import LiveServer, free_port
from tune.pairs import mine_pairs

runner = CliRunner()


def test_feedback_to_qrels_and_back_into_an_evaluation(make_kb, tmp_path):
    kb = make_kb()
    kb.ingest([SEED])
    server = LiveServer(create_app(kb.settings, kb), free_port())
    server.start()
    try:
        def ask_and_vote(question: str, helpful: bool) -> dict:
            answer = httpx.post(server.url + "/api/v1/kbs/default/ask", json={"question": question}, timeout=30).json()
            vote = {"answer_id": answer["answer_id"], "question": question, "helpful": helpful, "comment": ""}
            assert httpx.post(server.url + "/api/v1/kbs/default/feedback", json=vote, timeout=30).status_code == 201
            return answer

        good = ask_and_vote("村居建设的五清是什么？", True)
        bad = ask_and_vote("公务用车有哪些规定", False)
        ask_and_vote("村里的“五无”负面清单到底是哪五无？", True)  # an abstention: no passage to grade
    finally:
        server.stop()
    assert good["kind"] != "none" and bad["kind"] != "none"

    out = tmp_path / "feedback-set"
    result = runner.invoke(app, ["--kb", str(kb.dir), "eval", "import-feedback", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 on abstentions" in result.output

    qrels = [line.split("\t") for line in (out / "qrels" / "feedback.tsv").read_text("utf-8").splitlines()[1:]]
    grades = {}
    for qid, unit, grade in qrels:
        grades.setdefault(qid, set()).add(int(grade))
    assert sorted(grades.values(), key=sorted) == [{0}, {1}]  # one question judged helpful, one not
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text("utf-8").splitlines()]
    assert len(corpus) == kb.stats()["chunks"]
    judged_units = {unit for _, unit, grade in qrels if grade == "1"}
    assert any("班子清廉" in row["text"] for row in corpus if row["_id"] in judged_units)

    dataset = load_dataset(out)
    assert [q.text for q in dataset.queries] == ["村居建设的五清是什么？"]  # only it has a relevant passage
    report = runner.invoke(
        app,
        ["eval", "retrieval", str(out), "--no-baselines", "--config", "bm25", "--out", str(tmp_path / "r"),
         "--cache", str(tmp_path / "cache")],
        catch_exceptions=False,
    )
    assert report.exit_code == 0, report.output
    scores = json.loads((tmp_path / "r" / "passage" / "report.json").read_text("utf-8"))["runs"]["bm25"]["scores"]
    assert scores["recall@10"] > 0

    # The same export is training data for `policykb tune`: the helpful answer's passages are the
    # positives, hard negatives come from the base and are never one of them.
    feedback = load_judgements(out / "queries.jsonl", out / "qrels" / "feedback.tsv")
    pairs = mine_pairs(kb, feedback, feedback.queries)
    assert pairs and all(p.query == "村居建设的五清是什么？" for p in pairs)
    assert any("班子清廉" in p.positive for p in pairs)
    judged_texts = {row["text"] for row in corpus if row["_id"] in judged_units}
    assert all(p.negative and p.negative not in judged_texts for p in pairs)


def test_no_feedback_is_a_clear_error(make_kb, tmp_path):
    kb = make_kb()
    result = runner.invoke(app, ["--kb", str(kb.dir), "eval", "import-feedback", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no feedback yet" in result.output
