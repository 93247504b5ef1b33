"""Answer units: a sentence that introduces a list is answered with its items."""

from __future__ import annotations

from answer.extract import answer_unit, is_item_line

ARTICLE = ("第六条 学生纪律处分的种类分为：\n（一）警告；\n（二）严重警告；\n（三）记过；\n"
           "（四）留校察看；\n（五）开除学籍。\n第七条 纪律处分决定应当以书面形式送达学生本人。")


def _unit(text: str, sentence: str) -> str:
    start = text.index(sentence)
    return text[start : answer_unit(text, start, start + len(sentence))]


def test_a_lead_in_is_answered_with_its_items_up_to_the_next_article():
    assert _unit(ARTICLE, "第六条 学生纪律处分的种类分为：") == ARTICLE[: ARTICLE.index("\n第七条")]


def test_a_sentence_that_introduces_nothing_stays_alone():
    assert _unit(ARTICLE, "第七条 纪律处分决定应当以书面形式送达学生本人。") == "第七条 纪律处分决定应当以书面形式送达学生本人。"
    prose = "申请人应当提交下列材料：身份证和户口簿。\n（一）另一段。"
    assert _unit(prose, "申请人应当提交下列材料：") == "申请人应当提交下列材料："  # the line goes on


def test_items_stop_at_a_paragraph_and_at_the_length_cap():
    text = "补贴条件如下：\n1. 在本市就业；\n2. 缴纳社保满一年。\n其他事项另行通知。"
    assert _unit(text, "补贴条件如下：") == "补贴条件如下：\n1. 在本市就业；\n2. 缴纳社保满一年。"
    long = "情形如下：\n" + "\n".join(f"（{n}）" + "很长的情形" * 30 for n in "一二三四五")
    unit = long[: answer_unit(long, 0, len("情形如下："), max_chars=400)]
    assert unit.count("（") == 2 and len(unit) <= 400  # whole items only


def test_item_labels():
    assert all(is_item_line(line) for line in ("（一）警告", "一、总则", "1. 条件", "（2）材料", "①首先", "一是加强"))
    assert not any(is_item_line(line) for line in ("第一条 总则", "一般规定", "2024年起"))
