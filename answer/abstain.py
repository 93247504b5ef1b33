"""Decide when the base holds no answer, rather than showing the nearest noise."""

from __future__ import annotations

import re

from answer.extract import ScoredSentence

NO_ANSWER = "知识库中没有找到与该问题相关的内容。"

# A question asking what a term consists of ("五无是什么", "具体有哪些", "包括哪几项").
ASKS_FOR_CONTENT = re.compile(r"是什么|指什么|是哪|有哪|哪些|哪几|包括|包含|内容|具体|分别|指的是|含义|意思")
# Questions asking for one field of a catalogue row.
ASKS_FOR_FIELD = {
    "department": re.compile(r"牵头|哪个部门|什么部门|哪些部门|责任部门|负责单位|谁负责|归谁管|谁来管"),
    "standard": re.compile(r"标准内容|具体标准|什么标准|哪些标准|标准是什么|标准有哪些"),
    "problem": re.compile(r"问题描述|哪些问题|什么问题|问题有哪些"),
}
FIELD_LABELS = {"department": "牵头部门", "standard": "标准内容", "problem": "问题描述"}
# A question asking how many: catalogues built from partial sources do not give totals.
ASKS_HOW_MANY = re.compile(r"多少|几个|几项|几条|几种")
# A question about level-3 items (三级项目) rather than categories.
ASKS_FOR_ITEMS = re.compile(r"子项目|三级项目|具体项目|哪些项目|几个项目")
# A number the question states for a list ("那10个子项目", "17项问题描述").
STATED_COUNT = re.compile(r"([0-9０-９]+|[一二三四五六七八九十两]+)\s*(?:个|项|类|条|大类)")


def is_answerable(best: ScoredSentence, min_similarity: float, min_coverage: float) -> bool:
    """A passage answer is shown only when its best sentence is close to the question in
    meaning and shares enough of its content words; both thresholds are settings,
    calibrated with `policykb eval qa --calibrate` on a set with unanswerable questions."""
    return best.similarity >= min_similarity and best.coverage >= min_coverage
