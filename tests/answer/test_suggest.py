from __future__ import annotations

from answer import suggest
from answer.ask import ask
from answer.suggest import candidate_questions, suggested_questions
from answer.types import AnswerKind


def test_every_suggestion_is_answered_with_its_term(corpus_kb):
    terms = dict(candidate_questions(corpus_kb))
    questions = suggested_questions(corpus_kb, limit=len(terms))
    assert "“五清”是什么？" in questions and "清廉学校包括哪些内容？" in questions
    for question in questions:
        answer = ask(corpus_kb, question)
        assert answer.kind is not AnswerKind.none, question
        assert terms[question] in answer.text, (question, answer.text)


def test_suggestions_presuppose_no_level_names_and_respect_the_limit(corpus_kb):
    # the seed article never calls 五好、四无 大类 nor 公务用车 a 项目
    questions = suggested_questions(corpus_kb, limit=len(candidate_questions(corpus_kb)))
    assert not any("大类" in q or "项目" in q for q in questions)
    assert len(suggested_questions(corpus_kb, limit=3)) == 3


def test_a_candidate_the_base_cannot_answer_is_not_offered(corpus_kb, monkeypatch):
    real = candidate_questions(corpus_kb)
    unanswerable = ("火星包括哪些内容？", "火星")
    monkeypatch.setattr(suggest, "candidate_questions", lambda kb: [unanswerable, *real])
    questions = suggested_questions(corpus_kb, limit=len(real) + 1)
    assert "火星包括哪些内容？" not in questions
    assert questions == [question for question, _ in real]
