"""Answer units: a sentence that introduces a list is answered with its items."""

from __future__ import annotations

import pytest

from answer.extract import answer_unit, is_item_line, score_sentences, shortlist, unit_span

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


def _span(text: str, sentence: str, section: str, **kwargs) -> str:
    start = text.index(sentence)
    section_start = text.index(section)
    first, last = unit_span(text, (start, start + len(sentence)), (section_start, section_start + len(section)),
                            **kwargs)
    return text[first:last]


def test_a_short_article_is_answered_whole_without_its_chapter_heading():
    article = "第三条 用人单位应当订立书面劳动合同。未订立的，应当支付二倍工资。"
    text = f"第二章 劳动合同\n{article}\n第四条 下一条。"
    assert _span(text, "未订立的，应当支付二倍工资。", f"第二章 劳动合同\n{article}") == article


def test_a_long_section_is_answered_by_the_paragraph_of_the_sentence():
    filler = "这一段很长。" * 100
    paragraph = "补贴标准为每人每月一千元。补贴按月发放。"
    section = f"二、补贴\n{filler}\n{paragraph}\n{filler}"
    assert _span(section, "补贴按月发放。", section) == paragraph


def test_a_heading_is_answered_by_the_paragraph_below_it():
    filler = "其他说明。" * 120
    section = f"二、失业保险金能领到多少钱？\n目前发放标准为每月2250元。\n{filler}"
    unit = _span(section, "二、失业保险金能领到多少钱？", section, heading=True)
    assert unit == "二、失业保险金能领到多少钱？\n目前发放标准为每月2250元。"


def test_a_section_ending_in_a_lead_in_brings_its_items():
    section = "七、哪些情况需要停发？\n有下列情形的，应当申请停发："
    text = f"{section}\n（一）重新就业的；\n（二）应征服兵役的。\n八、下一个问题？"
    unit = _span(text, "有下列情形的，应当申请停发：", section)
    assert unit.endswith("（二）应征服兵役的。") and "八、" not in unit


def test_shortlist_takes_each_passage_best_first_then_the_best_of_the_rest():
    groups = ["a", "a", "a", "b", "b", "c"]
    cheap = [0.9, 0.8, 0.7, 0.1, 0.0, 0.0]
    assert shortlist(groups, cheap, 4) == [0, 1, 3, 5]  # b and c keep one sentence each, ties in order
    assert shortlist(groups, cheap, 2) == [0, 3]  # more passages than room: the best passages' best
    assert shortlist(groups, cheap, None) == list(range(6))
    assert shortlist(groups, cheap, 10) == list(range(6))


def test_score_sentences_encodes_only_the_shortlist(corpus_kb):
    question = "村居建设的五清是什么"
    hits = corpus_kb.search(question, k=5)
    everything = score_sentences(question, hits, corpus_kb.embedder, corpus_kb.tokenizer)
    some = score_sentences(question, hits, corpus_kb.embedder, corpus_kb.tokenizer, encode_limit=6)
    assert len(everything) > 6 and len(some) == 6
    assert {s.hit.chunk.id for s in some} == {s.hit.chunk.id for s in everything}  # every passage is read
    by_span = {(s.hit.chunk.id, s.start): s for s in everything}
    for s in some:  # the same scores as without a limit, for the sentences it keeps
        assert s.similarity == pytest.approx(by_span[(s.hit.chunk.id, s.start)].similarity, abs=1e-5)
    best_overlap = max(everything, key=lambda s: (s.coverage, -s.start))
    assert any(s.coverage >= best_overlap.coverage for s in some)


def test_score_sentences_encodes_the_first_characters_of_a_long_sentence(corpus_kb):
    question = "村居建设的五清是什么"
    hits = corpus_kb.search(question, k=3)
    cut = score_sentences(question, hits, corpus_kb.embedder, corpus_kb.tokenizer, encode_chars=12)
    vector = corpus_kb.embedder.encode_queries([question])[0]
    for s in cut[:5]:
        expected = float(corpus_kb.embedder.encode_documents([s.text[:12]])[0] @ vector)
        assert s.similarity == pytest.approx(expected, abs=1e-5)
    assert any(len(s.text) > 12 for s in cut)  # the sentence itself is whole, only its vector is of the start
