"""Handouts on the real corpus with the real model: items, citations, derivable questions, files."""

from __future__ import annotations

import io

import docx
import pytest

from answer.handout import (
    BLANK,
    Handout,
    HandoutItem,
    Question,
    blanked_positions,
    build_handout,
    to_docx,
    to_markdown,
)

WUQING = ("班子清廉", "村务清爽", "思想清正", "民风清醇", "干群亲清")
SANGONGKAI = ("清廉村居", "村务清爽", "三公开")


def wuqing_hit(kb):
    """The best search hit for 五清 that is a passage of the article (not a catalogue row)."""
    return next(h for h in kb.search("五清", k=10) if h.citation.kind != "catalogue" and "五清" in h.chunk.text)


def catalogue_record(kb, path):
    return next(r for r in kb.catalogue() if r.item.path == path)


@pytest.fixture(scope="module")
def selection(corpus_kb):
    """(handout, hit, 五清 glossary records, 三公开 catalogue record)."""
    hit = wuqing_hit(corpus_kb)
    record = catalogue_record(corpus_kb, SANGONGKAI)
    handout = build_handout(corpus_kb, "五清专题学习", [hit.chunk.id], ["五清"], [record.chunk_id])
    return handout, hit, corpus_kb.glossary("五清"), record


def test_items_carry_their_citation_labels(selection):
    handout, hit, glossary, record = selection
    assert handout.title == "五清专题学习"
    passages = [i for i in handout.items if i.kind == "passage"]
    terms = [i for i in handout.items if i.kind == "glossary"]
    rows = [i for i in handout.items if i.kind == "catalogue"]
    assert [i.citation_label for i in passages] == [hit.citation.label()]
    assert passages[0].body == hit.chunk.text.strip()
    assert [i.citation_label for i in terms] == [r.citation.label() for r in glossary], "every source of the term"
    assert terms[0].body == "“五清”指：" + "、".join(WUQING) + "（共5项）。"
    assert [i.citation_label for i in rows] == [record.citation.label()]
    assert rows[0].citation_label.endswith("清廉村居 > 村务清爽 > 三公开 · 第8行")
    assert [i.kind for i in handout.items] == ["passage"] * len(passages) + ["glossary"] * len(terms) + ["catalogue"]


def test_fill_in_the_blank_is_exactly_derivable_from_the_glossary(selection):
    handout, _, glossary, _ = selection
    blanks = [q for q in handout.questions if q.prompt.startswith("“五清”指：")]
    assert len(blanks) == 1
    question = blanks[0]
    shown = question.prompt.removeprefix("“五清”指：").removesuffix("。").split("、")
    assert len(shown) == len(WUQING)
    positions = [i for i, part in enumerate(shown) if part == BLANK]
    assert positions == blanked_positions("五清", 5) and 1 <= len(positions) <= 2
    answers = question.answer.split("、")
    assert answers == [WUQING[i] for i in positions], "the answer key holds exactly the blanked items, in order"
    filled = list(shown)
    for position, answer in zip(positions, answers):
        filled[position] = answer
    assert tuple(filled) == WUQING
    assert question.source_label == glossary[0].citation.label()


def test_count_and_catalogue_questions(selection):
    handout, _, glossary, record = selection
    by_prompt = {q.prompt: q for q in handout.questions}
    count = by_prompt["“五清”共包括几项？"]
    assert count.answer == "5项：" + "、".join(WUQING)
    assert count.source_label == glossary[0].citation.label()
    where = by_prompt["“三公开”属于哪个清廉单元的哪一大类？"]
    assert where.answer == "清廉村居 > 村务清爽"
    assert where.source_label == record.citation.label()
    prompts = [q.prompt for q in handout.questions]
    assert prompts.index("“五清”共包括几项？") < prompts.index(where.prompt), "questions follow the items' order"


def test_questions_come_only_from_glossary_and_catalogue_sources(corpus_kb, selection):
    handout = selection[0]
    known = {r.citation.label() for r in corpus_kb.glossary()} | {r.citation.label() for r in corpus_kb.catalogue()}
    assert handout.questions
    assert all(q.source_label in known for q in handout.questions)
    assert len({q.prompt for q in handout.questions}) == len(handout.questions), "no question twice"


def test_unit_selection_asks_for_its_categories(corpus_kb):
    unit_row = catalogue_record(corpus_kb, ("清廉学校",))
    handout = build_handout(corpus_kb, "清廉学校", [], [], [unit_row.chunk_id])
    by_prompt = {q.prompt: q for q in handout.questions}
    categories = by_prompt["标准目录中“清廉学校”下列出了哪些大类？"]
    assert categories.answer == "政治强廉、干部清廉、教师守廉、机制保廉、文化润廉（共5个）"
    assert by_prompt["标准目录中“清廉学校”的问题描述是什么？"].answer == "师德师风、学生食堂监管问题"
    assert "下列大类：政治强廉、干部清廉、教师守廉、机制保廉、文化润廉" in handout.items[0].body


def test_term_named_but_not_spelled_out_is_shown_without_questions(corpus_kb):
    handout = build_handout(corpus_kb, "", [], ["五无"], [])
    assert handout.title == "学习材料"
    records = corpus_kb.glossary("五无")
    assert [i.citation_label for i in handout.items] == [r.citation.label() for r in records]
    assert all("没有列出" in i.body for i in handout.items)
    assert handout.questions == ()


def test_the_same_selection_gives_the_same_handout(corpus_kb, selection):
    handout, hit, _, record = selection
    again = build_handout(corpus_kb, "五清专题学习", [hit.chunk.id, hit.chunk.id], ["五清"], [record.chunk_id])
    assert again == handout


def test_blanked_positions_are_stable_and_distinct():
    assert blanked_positions("五清", 5) == blanked_positions("五清", 5)
    for term, count in (("五清", 5), ("三公开", 3), ("月提示、季调度、半年督导、年终考评", 4), ("十二项", 12)):
        positions = blanked_positions(term, count)
        assert len(positions) == (1 if count < 5 else 2)
        assert len(set(positions)) == len(positions)
        assert all(0 <= p < count for p in positions)


def test_unknown_ids_and_terms_are_named(corpus_kb):
    text_chunk = wuqing_hit(corpus_kb).chunk.id  # a passage, not a catalogue row
    with pytest.raises(ValueError) as error:
        build_handout(corpus_kb, "x", [987654321], ["并不存在的术语"], [text_chunk])
    message = str(error.value)
    assert "987654321" in message and "并不存在的术语" in message and str(text_chunk) in message


def test_empty_selection_is_refused(corpus_kb):
    with pytest.raises(ValueError, match="nothing is selected"):
        build_handout(corpus_kb, "x", [], ["  "], [])


def test_docx_reopens_with_every_citation_and_the_answer_key(selection):
    handout = selection[0]
    document = docx.Document(io.BytesIO(to_docx(handout)))
    assert document.core_properties.title == "五清专题学习"
    text = "\n".join(p.text for p in document.paragraphs)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert {"学习材料", "自测题", "参考答案"} <= set(headings)
    for item in handout.items:
        assert f"出处：{item.citation_label}" in text
    key = text[text.index("参考答案"):]
    for number, question in enumerate(handout.questions, 1):
        assert f"{number}. {question.prompt}" in text
        assert f"{number}. {question.answer}（出处：{question.source_label}）" in key


def test_markdown_has_sources_questions_and_answers(selection):
    handout = selection[0]
    markdown = to_markdown(handout)
    assert markdown.startswith("# 五清专题学习\n")
    for item in handout.items:
        assert f"*出处：{item.citation_label}*" in markdown
    questions, _, key = markdown.partition("## 参考答案")
    assert "## 自测题" in questions
    blank = next(q for q in handout.questions if BLANK in q.prompt)
    assert blank.prompt.replace("_", "\\_") in questions, "blanks are escaped so Markdown shows them as written"
    assert all(q.answer in key and q.source_label in key for q in handout.questions)


def test_markdown_and_docx_keep_source_text_as_written():
    handout = Handout(
        "第*1*期 <讲义>",
        (HandoutItem("passage", "# 标题", "- 不是列表\n1. 也不是\x0c编号 [链接](x)", "来源 · 第_2_节"),),
        (Question("a_b？", "c*d", "来源 · 第_2_节"),),
    )
    markdown = to_markdown(handout)
    assert markdown.startswith("# 第\\*1\\*期 \\<讲义>")
    assert "\\- 不是列表" in markdown and "1\\. 也不是编号 \\[链接\\](x)" in markdown
    document = docx.Document(io.BytesIO(to_docx(handout)))  # the form feed is dropped, not refused
    text = "\n".join(p.text for p in document.paragraphs)
    assert "1. 也不是编号 [链接](x)" in text and "出处：来源 · 第_2_节" in text
