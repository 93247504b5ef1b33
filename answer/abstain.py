"""Decide when the base holds no answer, rather than showing the nearest noise."""

from __future__ import annotations

from answer.extract import ScoredSentence

NO_ANSWER = "知识库中没有找到与该问题相关的内容。"


def is_answerable(best: ScoredSentence, min_similarity: float, min_coverage: float) -> bool:
    """A passage answer is shown only when its best sentence is close to the question in
    meaning and shares enough of its content words; both thresholds are settings,
    calibrated with `policykb eval qa --calibrate` on a set with unanswerable questions."""
    return best.similarity >= min_similarity and best.coverage >= min_coverage
