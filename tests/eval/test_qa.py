"""The seed QA set: pinned answer quality, and the scoring that produces it."""

from __future__ import annotations

import pytest

from answer.types import Answer, AnswerKind, Evidence
from eval import qa
from index.types import Citation

# Recorded with `policykb eval qa` on corpus/ (docs/benchmarks.md); a regression fails CI.
PINNED = {"answered_right": 0.90, "facts_share": 0.90, "citation_share": 0.95, "abstention_precision": 0.95,
          "abstention_recall": 0.70}


def test_seed_qa_set_is_well_formed():
    items = qa.load_qa()
    assert len(items) >= 40 + 8
    assert sum(not i.answerable for i in items) >= 8
    assert len({i.id for i in items}) == len(items)
    assert all(i.facts and i.citations for i in items if i.answerable)


def test_answer_quality_does_not_fall_below_the_recorded_figures(corpus_kb):
    summary = qa.summarize(qa.run_qa(corpus_kb, qa.load_qa()))
    for metric, floor in PINNED.items():
        assert summary[metric] >= floor, f"{metric} fell to {summary[metric]} (pinned at {floor})"


def citation(source: str, section: tuple[str, ...]) -> Citation:
    return Citation("d1", "标题", f"/any/where/{source}", "text", section, None, 0, 10)


ITEM = qa.QAItem("a1", "问题", True, "passage", ("176个",), (("seed.txt", "边实践"),))


def test_judge_needs_every_fact_and_an_accepted_citation():
    good = Evidence(citation("seed.txt", ("边实践边探索", "第二段")), "句子", 0, 2)
    wrong_file = Evidence(citation("other.txt", ("边实践边探索",)), "句子", 0, 2)
    answer = Answer("问题", "全市培育了176 个样本", AnswerKind.passage, (good,), ())
    outcome = qa.judge(ITEM, answer)
    assert outcome.facts_ok and outcome.citation_ok  # spaces do not matter
    assert not qa.judge(ITEM, Answer("问题", "培育了样本", AnswerKind.passage, (good,), ())).facts_ok
    assert not qa.judge(ITEM, Answer("问题", "176个", AnswerKind.passage, (wrong_file,), ())).citation_ok
    declined = qa.judge(ITEM, Answer("问题", "176个", AnswerKind.none, (good,), ()))
    assert declined.abstained and not declined.facts_ok


def test_summary_counts_abstentions():
    unanswerable = qa.QAItem("n1", "问题", False, "none", (), ())
    outcomes = [
        qa.QAOutcome(ITEM, Answer("q", "", AnswerKind.none, (), ()), False, False),  # wrongly declined
        qa.QAOutcome(unanswerable, Answer("q", "", AnswerKind.none, (), ()), False, False),  # rightly declined
        qa.QAOutcome(unanswerable, Answer("q", "噪声", AnswerKind.passage, (), ()), False, False),
    ]
    summary = qa.summarize(outcomes)
    assert summary["abstention_precision"] == pytest.approx(1 / 2)
    assert summary["abstention_recall"] == pytest.approx(1 / 2)
    assert summary["facts_share"] == 0.0


def test_thresholds_replay_only_passage_answers():
    passage = Answer("q", "答", AnswerKind.passage, (), (), similarity=0.7, coverage=0.2)
    glossary = Answer("q", "答", AnswerKind.glossary, (), ())
    outcomes = [qa.QAOutcome(ITEM, passage, True, True), qa.QAOutcome(ITEM, glossary, True, True)]
    replayed = qa.apply_thresholds(outcomes, 0.5, 0.25)
    assert replayed[0].abstained and not replayed[1].abstained
    assert not qa.apply_thresholds(outcomes, 0.5, 0.2)[0].abstained


def test_calibration_split_is_fixed_and_covers_everything():
    items = qa.load_qa()
    tune, held_out = qa.split_for_calibration(items)
    assert qa.split_for_calibration(items) == (tune, held_out)
    assert sorted(i.id for i in tune + held_out) == sorted(i.id for i in items)
    assert tune and held_out


def test_missing_or_broken_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        qa.load_qa(tmp_path / "nothing.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="broken.jsonl:1"):
        qa.load_qa(broken)


def test_by_type_and_the_fixed_halves():
    from dataclasses import replace

    listed = replace(ITEM, id="b1", type="list")
    refused = qa.QAItem("b2", "火星上的规定", False, "none", (), (), "off_topic")
    good = Evidence(citation("seed.txt", ("边实践边探索",)), "句子", 0, 2)
    outcomes = [
        qa.judge(listed, Answer("问题", "176个", AnswerKind.passage, (good,), ())),
        qa.judge(refused, Answer("火星上的规定", "没有", AnswerKind.none, (), ())),
    ]
    types = qa.by_type(outcomes)
    assert set(types) == {"list", "off_topic"}
    assert (types["list"]["answered_right"], types["off_topic"]["refused_right"]) == (1.0, 1.0)
    items = [replace(ITEM, id=f"q{n}") for n in range(40)]
    development, report = qa.half(items, "dev"), qa.half(items, "report")
    assert sorted(i.id for i in development + report) == sorted(i.id for i in items)
    assert not {i.id for i in development} & {i.id for i in report} and development and report
    assert qa.half(items, "report") == report  # fixed: the same split every time
    with pytest.raises(ValueError, match="unknown half"):
        qa.half(items, "test")
