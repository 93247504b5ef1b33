"""ask() on the real corpus with the real model: each answer kind, citations, abstention."""

from __future__ import annotations

from pathlib import Path

import pytest

from answer.ask import _in_order_share, ask, question_years, sentence_bounds
from answer.types import AnswerKind
from tests.conftest import SEED

WUQING = ("班子清廉", "村务清爽", "思想清正", "民风清醇", "干群亲清")


def test_glossary_question_gets_exactly_the_five_items(corpus_kb):
    answer = ask(corpus_kb, "村居建设的五清是什么")
    assert answer.kind is AnswerKind.glossary
    assert answer.text == "“五清”指：" + "、".join(WUQING) + "。"
    seed_citations = [e for e in answer.citations if Path(e.citation.source).name == SEED.name]
    assert seed_citations
    for evidence in answer.citations:
        text = corpus_kb.store.document(evidence.citation.doc_id).text
        assert text[evidence.start : evidence.end] == evidence.sentence
        assert all(item in evidence.sentence for item in WUQING)


def test_term_named_but_never_spelled_out_is_no_answer(corpus_kb):
    answer = ask(corpus_kb, "五无具体是哪五个？")
    assert answer.kind is AnswerKind.none
    assert "五无" in answer.text and "没有说明" in answer.text
    assert answer.citations, "the places that mention the term are still shown"


def test_unit_question_lists_its_categories(corpus_kb):
    answer = ask(corpus_kb, "清廉学校分成哪几大类？")
    assert answer.kind is AnswerKind.catalogue
    for category in ("政治强廉", "干部清廉", "教师守廉", "机制保廉", "文化润廉"):
        assert category in answer.text
    assert all(e.citation.kind == "catalogue" for e in answer.citations)
    assert all(e.citation.section.startswith("清廉学校") for e in answer.citations)


def test_category_question_lists_its_items(corpus_kb):
    answer = ask(corpus_kb, "村务清爽包括哪些要求")
    assert answer.kind is AnswerKind.catalogue
    assert all(item in answer.text for item in ("三公开", "五必晒", "三要"))


def test_department_not_in_the_catalogue_is_no_answer(corpus_kb):
    answer = ask(corpus_kb, "清廉医院建设由哪个部门牵头？")
    assert answer.kind is AnswerKind.none
    assert "牵头部门" in answer.text and "没有写明" in answer.text


def test_passage_answer_cites_the_supporting_sentence(corpus_kb):
    answer = ask(corpus_kb, "标准化实施方案是哪天公布的？")
    assert answer.kind is AnswerKind.passage
    assert "9月29日" in answer.text
    evidence = answer.citations[0]
    assert Path(evidence.citation.source).name == SEED.name
    text = corpus_kb.store.document(evidence.citation.doc_id).text
    assert text[evidence.start : evidence.end] == evidence.sentence
    assert evidence.sentence in answer.text
    assert answer.passages and answer.passages[0].rank == 1


def test_question_outside_the_corpus_is_declined(corpus_kb):
    answer = ask(corpus_kb, "衡阳市的常住人口是多少")
    assert answer.kind is AnswerKind.none
    assert answer.text == "知识库中没有找到与该问题相关的内容。"
    assert answer.citations == ()


def test_bad_questions_raise_clear_errors(corpus_kb):
    with pytest.raises(ValueError, match="empty"):
        ask(corpus_kb, "  ")
    with pytest.raises(ValueError, match="longer than"):
        ask(corpus_kb, "五清" * 200)


def test_sources_that_disagree_are_both_cited(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("村务管理坚持“三审”：初审、复审、终审。\n", encoding="utf-8")
    (folder / "b.txt").write_text("财务报销实行“三审”，即经办审、会计审、领导审。\n", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "三审是什么")
    assert answer.kind is AnswerKind.glossary
    assert "初审、复审、终审" in answer.text and "经办审、会计审、领导审" in answer.text
    assert {Path(e.citation.source).name for e in answer.citations} == {"a.txt", "b.txt"}


def test_sentence_bounds_widen_to_whole_sentences():
    text = "第一句。第二句有五清，还有别的。第三句"
    start = text.index("五清")
    assert text[slice(*sentence_bounds(text, start, start + 2))] == "第二句有五清，还有别的。"
    assert text[slice(*sentence_bounds(text, len(text) - 2, len(text)))] == "第三句"


# -- articles named in the question and documents named by their 文号 ---------------------------


def test_a_named_article_is_answered_by_structure(official_kb):
    from tests.samples import LAW_ARTICLES

    kb, _ = official_kb
    answer = ask(kb, "示范劳动法第三条说了什么")
    assert answer.kind is AnswerKind.article
    assert answer.text == LAW_ARTICLES[2]  # the whole article, not a similar sentence of the rules
    assert {e.citation.title for e in answer.citations} == {"示范劳动法"}
    rules = ask(kb, "示范劳动法实施条例第三条")  # written 第3条 in that document
    assert rules.kind is AnswerKind.article and "职工名册应当包括" in rules.text


def test_an_article_the_law_does_not_have_is_said_so(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "示范劳动法第九十条规定了什么")
    assert answer.kind is AnswerKind.none
    assert answer.text == "知识库中的《示范劳动法》没有第九十条。"  # in the question's own numeral
    rules = ask(kb, "示范劳动法实施条例第五条")  # the law has a 第五条; the rules, named, do not
    assert rules.kind is AnswerKind.none and rules.text == "知识库中的《示范劳动法实施条例》没有第五条。"


def test_a_question_naming_a_doc_number_is_answered_from_that_document(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "示人社规[2018]2号的补贴标准是多少")  # written with [] instead of 〔〕
    assert answer.citations
    assert {e.citation.doc_number for e in answer.citations} == {"示人社规〔2018〕2号"}


def test_ask_filters_leave_out_expired_documents(official_kb):
    from index.types import Filters

    kb, _ = official_kb
    answer = ask(kb, "示范市人力资源局发放的培训补贴标准是多少", Filters(in_force_on="2026-12-02"))
    assert all(e.citation.doc_number != "示人社规〔2018〕2号" for e in answer.citations)
    assert all(h.citation.doc_number != "示人社规〔2018〕2号" for h in answer.passages)


def test_a_list_question_gets_the_items_not_only_the_lead_in(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "学生纪律处分的种类有哪些")
    assert answer.kind is AnswerKind.passage
    for kind in ("警告", "严重警告", "记过", "留校察看", "开除学籍"):
        assert kind in answer.text
    assert answer.citations[0].citation.title == "示范学院学生纪律处分办法"
    assert answer.citations[0].sentence.startswith("第六条 学生纪律处分的种类分为：")


def test_one_passage_is_cited_once(corpus_kb):
    for question in ("村居建设的五清是什么", "监督检查的节奏是怎样的", "清廉学校包括哪些内容"):
        answer = ask(corpus_kb, question)
        labels = [e.citation.label() for e in answer.citations]
        spans = [(e.citation.doc_id, e.citation.start, e.citation.end) for e in answer.citations]
        assert len(spans) == len(set(spans)), labels
        if answer.kind is AnswerKind.passage:  # a merged citation still quotes the document exactly
            for e in answer.citations:
                assert corpus_kb.store.document(e.citation.doc_id).text[e.start:e.end] == e.sentence


def test_a_place_the_base_never_mentions_is_named_in_the_refusal(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "上海市的见习补贴标准是多少")
    assert answer.kind is AnswerKind.none and answer.citations == ()
    assert answer.text == "知识库中没有关于“上海市”的内容。"
    assert kb.unknown_names("见习补贴标准是多少") == []
    assert kb.unknown_names("老板不给见习补贴怎么办") == []  # a common noun is no missing name


def test_a_place_named_with_its_level_is_known_by_its_bare_name(corpus_kb):
    assert corpus_kb.unknown_names("衡阳市的常住人口是多少") == []  # the article writes 衡阳


def test_a_catalogue_answer_states_no_count_the_source_does_not_give(corpus_kb):
    answer = ask(corpus_kb, "清廉机关包括哪些内容")
    assert answer.kind is AnswerKind.catalogue
    assert answer.text.startswith("目录中“清廉机关”下列有：")
    assert "个大类" not in answer.text and "个项目" not in answer.text


def test_each_term_of_a_multi_term_question_is_answered(corpus_kb):
    answer = ask(corpus_kb, "五清和五好分别指什么")
    assert answer.kind is AnswerKind.glossary
    first, second = answer.text.split("\n")
    assert first.startswith("“五清”指：") and "班子清廉" in first
    assert second == "知识库中提到了“五好”，但没有说明它具体包括哪些内容。"  # the source names it only


def test_a_value_the_passages_do_not_state_is_said_so(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "示范学院的纪律处分决定要在几天内送达学生？")
    assert answer.kind is AnswerKind.none
    assert "没有写明具体期限" in answer.text and "送达" in answer.text
    assert answer.citations, "what the base does say is still cited"


def test_the_kind_of_value_asked_for_picks_the_sentence(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "用人单位应当在多长时间内与劳动者订立书面劳动合同？")
    assert answer.kind is AnswerKind.passage
    assert "一个月内" in answer.text


def test_a_place_the_passages_do_not_mention_is_looked_for_where_the_base_holds_it(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tianhe.txt").write_text(
        "天河区人才公寓申请指引\n申请人应在本区工作满一年，且本人及家庭成员在本市无自有住房。\n", encoding="utf-8")
    (folder / "haizhu.txt").write_text(
        "海珠区图书馆开放公告\n海珠区图书馆每周二至周日九时至十七时开放，周一闭馆。\n", encoding="utf-8")
    (folder / "rental.txt").write_text(
        "海珠区住房保障办法\n海珠区人才公寓的申请人应在海珠区连续缴纳社会保险满两年。\n", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "海珠区人才公寓的申请条件是什么")
    assert {Path(e.citation.source).name for e in answer.citations} == {"rental.txt"}
    assert "连续缴纳社会保险满两年" in answer.text

    (folder / "rental.txt").unlink()  # the base names 海珠区, but nothing about its 人才公寓
    other = make_kb("without-rental")
    other.ingest([folder])
    answer = ask(other, "海珠区人才公寓的申请条件是什么")
    assert "本区工作满一年" not in answer.text  # never the other district's rule
    assert "tianhe.txt" not in {Path(e.citation.source).name for e in answer.citations}
    answer = ask(other, "天河区人才公寓的申请条件是什么")  # named in the passages: answered as before
    assert answer.kind is AnswerKind.passage and "本区工作满一年" in answer.text


def test_an_article_of_a_law_the_base_does_not_hold_is_refused_by_the_law_name(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "law.txt").write_text(
        "中华人民共和国示范合同法\n第一条 为了规范合同行为，制定本法。\n第二条 合同应当采用书面形式订立。\n", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "公司法第五条规定了什么")
    assert answer.kind is AnswerKind.none and answer.text == "知识库中没有《公司法》。"
    assert ask(kb, "《中华人民共和国刑法》第二百六十六条怎么规定").text == "知识库中没有《刑法》。"
    assert ask(kb, "示范合同法第九条").text == "知识库中的《中华人民共和国示范合同法》没有第九条。"
    short = ask(kb, "合同法第二条是什么")  # a short form of the stored name is asked of it
    assert short.kind is AnswerKind.article and "书面形式" in short.text and short.question == "合同法第二条是什么"


def test_in_order_share_is_the_longest_common_subsequence():
    assert _in_order_share("劳动法", "劳动合同法") == 1.0
    assert _in_order_share("公司法", "劳动合同法") == pytest.approx(1 / 3)
    assert _in_order_share("abc", "cba") == pytest.approx(1 / 3)
    assert _in_order_share("", "x") == 0.0


def test_question_years_are_four_digit_years_only():
    assert question_years("2027年天河区公办初中要新增多少个班？2026年度呢") == ["2027", "2026"]
    assert question_years("登记注册3年内的企业，18年龄以下") == []
    assert question_years("2025年级的学生") == []


def test_a_year_the_passages_are_not_about_is_not_answered_by_another_year(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "plan.txt").write_text(
        "示范区初中招生细则\n2026年示范区公办初中新增35个班。\n2027年起，非本区户籍学生须提供居住证明。\n"
        "示范区图书馆每周二至周日开放。\n", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "2026年示范区公办初中新增多少个班？")
    assert answer.kind is AnswerKind.passage and "35个班" in answer.text
    other_year = ask(kb, "2028年示范区公办初中新增多少个班？")  # a year no document mentions
    assert other_year.kind is AnswerKind.none and other_year.text == "知识库中没有关于“2028年”的内容。"


def test_a_value_ranked_below_the_passages_is_looked_for_deeper_in_their_document(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    sections = "".join(f"{n}、申请材料第{n}类\n人才公寓的申请人应提交第{n}类申请材料和人才公寓申请表。\n"
                       for n in "一二三四五六七八九")
    (folder / "notice.txt").write_text(
        f"关于受理示范区人才公寓申请的公告\n{sections}十、申请时间\n申请时间：2025年8月11日至8月22日。\n",
        encoding="utf-8")
    kb = make_kb(answer_passages=1)  # the section stating the date is not the first passage
    kb.ingest([folder])
    question = "示范区人才公寓的申请时间是什么时候？"
    assert "十、申请时间" not in kb.search(question, k=1)[0].citation.section
    answer = ask(kb, question)
    assert answer.kind is AnswerKind.passage
    assert "2025年8月11日至8月22日" in answer.text
    assert any(e.citation.section.endswith("十、申请时间") for e in answer.citations)


def test_a_term_the_glossary_cannot_expand_is_answered_where_the_prose_defines_it(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "list.txt").write_text(
        "示范省高校毕业生扶持政策清单\n十、“三支一扶”基层服务项目\n"
        "从事支教、支农、支医和帮扶乡村振兴（以下简称“三支一扶”）服务的大学生，服务期间享受生活补贴。\n"
        "十一、“四进”活动\n各校每年组织“四进”活动不少于两次。\n", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    assert {"三支一扶", "四进"} <= set(kb.store.glossary_terms())
    answer = ask(kb, "“三支一扶”是什么意思？")
    assert answer.kind is AnswerKind.passage
    assert all(word in answer.text for word in ("支教", "支农", "支医", "帮扶乡村振兴"))
    mentioned = ask(kb, "“四进”具体指什么？")  # mentioned, never spelled out: said so
    assert mentioned.kind is AnswerKind.none and "没有说明" in mentioned.text


def test_an_article_of_an_abbreviated_law_name_is_answered_from_that_law(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "measures.txt").write_text(
        "示范市东湖区深化支持青年创新创业高质量发展实施办法\n第一条 为支持青年创新创业，制定本办法。\n"
        "第二条 本办法所称青年，是指45周岁以下的人员。\n", encoding="utf-8")
    (folder / "law.txt").write_text(
        "中华人民共和国示范劳动合同法\n第一条 为了规范劳动合同，制定本法。\n第二条 劳动合同应当采用书面形式。\n",
        encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "东湖青年创新创业实施办法第2条怎么界定青年？")  # words dropped, none changed
    assert answer.kind is AnswerKind.article and "45周岁以下" in answer.text
    other = ask(kb, "示范劳动法第二条是什么")  # 劳动法 is not short for 劳动合同法
    assert other.kind is not AnswerKind.article


def test_a_list_whose_items_the_chunker_split_into_subsections_is_answered_whole(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    items = "".join(f"（{n}）第{n}类参保人员为本市登记的第{n}类城乡居民群体；\n" for n in "一二三四五")
    (folder / "notice.txt").write_text(
        "示范市城乡居民医保参保通告\n为做好参保工作，现就有关事项通告如下：\n一、参保范围\n下列人员参加城乡居民医保：\n"
        f"{items}（六）出生180天内且持有出生医学证明的新生儿。\n二、缴费标准\n个人缴费标准为每人400元。\n",
        encoding="utf-8")
    kb = make_kb(chunk_max_chars=120, chunk_min_chars=20, chunk_overlap_chars=10)
    kb.ingest([folder])
    doc_id = kb.store.documents()[0].id
    text = kb.store.document(doc_id).text
    scope = next(h for h in kb.search("参保范围", k=10) if h.citation.section_path[-1:] == ("一、参保范围",))
    start, end = kb.store.section_span(doc_id, scope.citation.section, scope.chunk.start)
    assert "（六）" in text[start:end] and "二、缴费标准" not in text[start:end]  # its subsections, not the next section
    answer = ask(kb, "示范市城乡居民医保的参保范围包括哪些人？")
    assert answer.kind is AnswerKind.passage
    assert "第一类参保人员" in answer.text and "新生儿" in answer.text


def test_the_parties_of_a_laypersons_case_are_no_missing_names(official_kb):
    kb, _ = official_kb
    assert kb.unknown_names("小明和小李签了劳动合同，保姆也要签吗") == []


def test_a_quoted_term_the_base_never_mentions_is_named_in_the_refusal(official_kb):
    kb, _ = official_kb
    answer = ask(kb, "“六清”具体是哪六清？")
    assert answer.kind is AnswerKind.none and answer.text == "知识库中没有关于“六清”的内容。"


def test_a_definition_ranked_below_the_passages_is_looked_for_deeper_in_their_document(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    articles = "".join(f"第{n}条 学生提出申诉的，申诉处理委员会应当在第{n}个环节听取学生申诉意见。\n"
                       for n in "三四五六七八九十")
    (folder / "rules.txt").write_text(
        "示范学院学生申诉管理规定\n第一条 为保障学生合法权益，制定本规定。\n"
        "第二条 本规定所称申诉，是指学生对学院作出的处分决定有异议，请求复查的行为。\n" + articles,
        encoding="utf-8")
    kb = make_kb(answer_passages=1)
    kb.ingest([folder])
    question = "示范学院申诉规定里的“申诉”是什么意思"
    assert "第二条" not in kb.search(question, k=1)[0].citation.section
    answer = ask(kb, question)
    assert answer.kind is AnswerKind.passage and "请求复查的行为" in answer.text


def test_a_sentence_of_the_title_line_is_no_answer(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    intro = "".join(f"示范市第{n}批参保人可以在定点医疗机构直接结算第{n}类医疗费用，无需个人垫付后再报销。\n"
                    for n in "一二三四五六七八九十甲乙丙丁")  # a preamble too long to be answered whole
    title = "无需个人垫付！示范市医保备案，上“示范办”快速办理！"
    paragraphs = "".join(f"<p>{line}</p>" for line in intro.splitlines())
    (folder / "guide.html").write_text(
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{paragraphs}<h2>办理指引</h2>"
        "<p>步骤1：打开“示范办”APP，在首页选择“医保备案”专栏，按提示填写备案信息并提交。</p></body></html>",
        encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "在示范办上怎么办理医保备案？")
    assert answer.kind is AnswerKind.passage
    assert "步骤1" in answer.text and not answer.text.startswith("示范市医保备案")


def test_a_list_question_matched_by_a_pages_title_is_answered_by_its_sections(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    kinds = ("一次性创业资助", "优秀创业项目资助", "创业租金补贴")
    conditions = "".join(f"<p>（{i}）申请人应符合第{i}项条件，在本市登记注册满6个月并正常经营，按规定缴纳社会保险费。</p>"
                         for i in range(1, 4))
    body = "".join(f"<p>{n}、{kind}</p><p>补贴条件：</p>{conditions}" for n, kind in enumerate(kinds, 1))
    (folder / "page.html").write_text(
        f"<html><head><title>示范市高校毕业生创业补贴，请查收</title></head><body><h1>示范市高校毕业生创业补贴，请查收</h1>"
        f"{body}</body></html>", encoding="utf-8")
    kb = make_kb()
    kb.ingest([folder])
    answer = ask(kb, "示范市高校毕业生创业补贴有哪几类？")
    assert answer.kind is AnswerKind.passage
    assert answer.text.splitlines() == [f"{n}、{kind}" for n, kind in enumerate(kinds, 1)]
    text = kb.store.document(answer.citations[0].citation.doc_id).text
    assert all(text[e.start:e.end] == e.sentence for e in answer.citations)


def test_a_scope_the_base_never_mentions_is_named_in_the_refusal(corpus_kb):
    answer = ask(corpus_kb, "火星上的清廉建设标准是什么")  # a noun, a locative, 的: the question's scope
    assert answer.kind is AnswerKind.none and answer.text == "知识库中没有关于“火星”的内容。"
    assert corpus_kb.unknown_names("村居里的清廉建设标准是什么") == []  # a scope the base holds


def test_two_terms_neither_of_which_the_base_spells_out_are_both_answered(corpus_kb):
    answer = ask(corpus_kb, "五好和四无指什么")
    assert answer.kind is AnswerKind.none
    assert answer.text.split("\n") == ["知识库中提到了“五好”，但没有说明它具体包括哪些内容。",
                                       "知识库中提到了“四无”，但没有说明它具体包括哪些内容。"]
    assert answer.citations, "where the base mentions them is still cited"


def test_a_unit_named_by_its_own_part_and_the_shared_part_apart_is_the_unit(corpus_kb):
    answer = ask(corpus_kb, "医院的清廉建设由哪个部门牵头")  # 清廉医院, written apart
    assert answer.kind is AnswerKind.none
    assert "清廉医院" in answer.text and "牵头部门" in answer.text and "没有写明" in answer.text
