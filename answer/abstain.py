"""Decide when the base holds no answer, rather than showing the nearest noise."""

from __future__ import annotations

import re

from answer.extract import ScoredSentence

NO_ANSWER = "知识库中没有找到与该问题相关的内容。"

# A question asking what a term consists of ("五无是什么", "具体有哪些", "包括哪几项").
ASKS_FOR_CONTENT = re.compile(r"是什么|指什么|是哪|有哪|哪些|哪几|包括|包含|内容|具体|分别|指的是|含义|意思")
# A question asking who is responsible.
ASKS_FOR_DEPARTMENT = re.compile(r"牵头|哪个部门|什么部门|哪些部门|责任部门|负责单位|谁负责|归谁管|谁来管")


def is_answerable(best: ScoredSentence, min_similarity: float, min_coverage: float) -> bool:
    """A passage answer is shown only when its best sentence is close to the question in
    meaning and shares enough of its content words; both thresholds are settings,
    calibrated with `policykb eval qa --calibrate` on a set with unanswerable questions."""
    return best.similarity >= min_similarity and best.coverage >= min_coverage
