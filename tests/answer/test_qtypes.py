"""The kind of fact a question asks for, and whether a sentence states one."""

from __future__ import annotations

import pytest

from answer.qtypes import (
    FACT_TYPES,
    STATED_COUNT,
    asked_types,
    asks_for_content,
    asks_for_value,
    defines,
    held_share,
    holds,
)

TYPES = {t.name: t for t in FACT_TYPES}


@pytest.mark.parametrize(("question", "expected"), [
    ("本规定从哪天起施行？", {"date"}),
    ("备案提交后多久能审批完？", {"duration"}),
    ("考研奖学金每人多少钱", {"amount"}),
    ("一等奖多少钱，评奖比例是多少", {"amount", "rate"}),
    ("一共多少个学位？", {"count"}),
    ("由哪个部门牵头负责？", {"department"}),
    ("什么叫无固定期限劳动合同", {"definition"}),
])
def test_the_interrogative_names_the_kind_of_fact(question, expected):
    assert expected <= {t.name for t in asked_types(question)}


def test_which_ones_is_a_list_not_a_count():
    names = {t.name for t in asked_types("创业补贴有哪几类？")}
    assert "list" in names and "count" not in names


@pytest.mark.parametrize(("kind", "question", "text", "expected"), [
    ("condition", "要符合哪些条件", "申请人应当同时符合下列条件：", True),
    ("condition", "哪些情况下", "学生有下列情形之一，不得转学：", True),
    ("condition", "要符合哪些条件", "用人单位应当依法建立和完善劳动规章制度。", False),  # any 应当 is no condition
    ("date", "从哪天起施行", "本规定自 2017 年 9 月 1 日起施行。", True),
    ("date", "哪一天", "红线定在 8/24", True),
    ("date", "哪一天", "本规定由学校负责解释。", False),
    ("duration", "多久", "应当在用工之日起一个月内订立书面劳动合同。", True),
    ("duration", "多久", "本法自2020年1月1日起施行。", False),  # a date, not a duration
    ("duration", "多久", "自2026年起实行。", False),
    ("duration", "多久公开一次", "接待清单由办公室每月公开一次。", True),  # a frequency
    ("duration", "多久", "廉洁驿站每季度开展一次谈心谈话。", True),
    ("duration", "多长时间报送一次", "观察员每半年报送一次廉情信息。", True),
    ("duration", "多久", "每人限领一次。", False),  # 每 of a person, not of a time
    ("amount", "多少钱", "考研奖学金金额为 1000 元/人。", True),
    ("amount", "多少钱", "奖学金按学期评定。", False),
    ("rate", "比例是多少", "评奖比例为不超过学生数的 10%。", True),
    ("count", "一共多少个学位", "学位计划总数为1023个。", True),
    ("count", "入户指标是多少个", "计算总积分满150分。", False),  # counted in another measure word
])
def test_a_sentence_holds_the_fact_or_not(kind, question, text, expected):
    assert holds(TYPES[kind], question, text) is expected


def test_held_share_counts_each_asked_kind():
    question = "一等奖多少钱，评奖比例是多少"
    types = asked_types(question)
    assert held_share(types, question, "一等奖 1500 元，占人数的 5%") == 1.0
    assert 0 < held_share(types, question, "一等奖 1500 元") < 1.0
    assert held_share((), question, "一等奖 1500 元") == 0.0


@pytest.mark.parametrize(
    ("question", "value", "content"),
    [
        ("清廉学校分成哪几大类？", False, True),
        ("村务清爽下面有几个项目", True, False),
        ("见习补贴每月多少", True, False),
        ("五无具体是哪五个？", False, True),
        ("申请时间是什么时候", True, False),
        ("“三支一扶”是什么意思？", False, True),
    ],
)
def test_questions_asking_for_a_value_or_for_content(question, value, content):
    assert asks_for_value(question) is value
    assert asks_for_content(question) is content


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("三支一扶", "从事支教、支农、支医和帮扶乡村振兴（以下简称“三支一扶”）服务的大学生", True),
        ("五清", "“五清”即班子清廉、村务清爽", True),
        ("劳务派遣", "本法所称劳务派遣是指……", True),
        ("五无", "以“五清”正面倡导和“五无”负面清单为主要内容", False),
        ("五无", "推进“五无”建设", False),
    ],
)
def test_a_text_defines_a_term_or_only_mentions_it(term, text, expected):
    assert defines(term, text) is expected


def test_a_count_the_question_states():
    assert STATED_COUNT.search("那10个子项目分别是什么").group(1) == "10"
    assert STATED_COUNT.search("包括五大类吗").group(1) == "五"
    assert STATED_COUNT.search("有哪些要求") is None
