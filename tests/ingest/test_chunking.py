"""The structure-aware chunker: section paths, article boundaries, sentence-safe windows."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ingest.chunking import (
    Level,
    chinese_number,
    chunk_document,
    classify_heading,
    find_toc_lines,
    iter_lines,
    label_number,
    split_sentences,
)
from ingest.types import Chunk, Document, Heading, Page

CORPUS = Path(__file__).parents[2] / "corpus"
SEED = CORPUS / "000_5c55d41fe458c655.txt"
WUQING = "班子清廉、村务清爽、思想清正、民风清醇、干群亲清"

ARTICLE_AT_LINE_START = re.compile(r"^第[一二三四五六七八九十百千零〇两0-9]+条", re.MULTILINE)
SENTENCE_ENDINGS = tuple("。！？；!?;")
CLOSING_QUOTES = "”’」』）)"


def make_doc(text: str, kind: str = "text", **fields) -> Document:
    fields.setdefault("title", "测试文档")
    return Document(id="doc", source="test.txt", kind=kind, text=text, **fields)


def check_invariants(doc: Document, chunks: list[Chunk], max_chars: int = 400) -> None:
    """Span, order, size and coverage hold for every chunker output."""
    assert chunks, "a document with text gives at least one chunk"
    covered = [False] * len(doc.text)
    for before, after in itertools.pairwise(chunks):
        assert (before.start, before.end) <= (after.start, after.end), "chunks are in document order"
    for chunk in chunks:
        assert chunk.text, "no empty chunks"
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip(), "leading/trailing whitespace is not part of the span"
        assert len(chunk.text) <= max_chars
        assert chunk.doc_id == doc.id and chunk.id == 0
        assert chunk.page == doc.page_at(chunk.start)
        assert all(entry == " ".join(entry.split()) and entry for entry in chunk.section_path)
        for offset in range(chunk.start, chunk.end):
            covered[offset] = True
    lost = "".join(ch for ch, seen in zip(doc.text, covered) if not seen and not ch.isspace())
    assert lost == "", "all non-whitespace text is inside some chunk"


def ends_at_sentence_or_line(doc: Document, chunk: Chunk) -> bool:
    """The chunk ends after 。！？； (closing quotes allowed) or at the end of a line."""
    rest = doc.text[chunk.end :]
    at_line_end = rest == "" or rest.split("\n", 1)[0].strip() == ""
    return at_line_end or chunk.text.rstrip(CLOSING_QUOTES).endswith(SENTENCE_ENDINGS)


def chunk_with(chunks: list[Chunk], needle: str) -> Chunk:
    found = [chunk for chunk in chunks if needle in chunk.text]
    assert found, f"no chunk contains {needle!r}"
    return found[0]


# --- a law-like text ---------------------------------------------------------------------------

LONG_ARTICLE_SENTENCES = [
    "社区服务中心应当建立服务台账，如实记录服务对象、服务内容和服务结果。",
    "服务台账应当至少保存三年，不得涂改、伪造或者擅自销毁。",
    "街道办事处每季度对服务台账进行一次检查，发现问题的，应当责令限期改正。",
    "区民政部门每年组织一次服务质量评估，评估结果向社会公开。",
    "评估不合格的社区服务中心，应当在三个月内提交整改报告。",
    "整改期间，社区服务中心不得新增收费服务项目。",
    "连续两年评估不合格的，由区民政部门约谈其负责人，并通报街道办事处。",
    "居民对服务质量有异议的，可以向街道办事处投诉，街道办事处应当在十个工作日内答复。",
    "投诉处理情况纳入下一年度的服务质量评估。",
    "区民政部门应当将评估结果作为安排社区服务专项资金的重要依据。",
    "评估结果优秀的，给予通报表扬，并在下一年度资金安排中予以倾斜。",
    "社区服务中心应当向居民公开服务时间、服务项目和联系电话。",
    "服务项目发生变化的，应当提前七日公告。",
    "社区服务中心的工作人员应当持证上岗，每年参加不少于二十学时的业务培训。",
    "具体评估办法由区民政部门另行制定。",
]
ARTICLE_NINE = "第九条 " + "".join(LONG_ARTICLE_SENTENCES)

LAW_LINES = [
    "某市社区服务管理办法",
    "",
    "第一章　总则",
    "",
    "第一条 为了规范社区服务管理，提高社区服务质量，根据有关法律法规，结合本市实际，制定本办法。",
    "第二条 本办法适用于本市行政区域内的社区服务活动。",
    "第三条 市民政部门负责全市社区服务的统筹协调和监督管理。",
    "",
    "第二章 组织机构",
    "",
    "第八条 本办法所称社区服务机构，是指下列机构：",
    "（一）街道设立的社区服务中心；",
    "（二）社区居民委员会设立的服务站；",
    "（三）依法登记的社会组织举办的服务机构。",
    "第八条之一 社区服务机构应当在显著位置公示服务项目和收费标准。",
    ARTICLE_NINE,
    "",
    "第三章 附则",
    "",
    "第十条 本办法自发布之日起施行。",
]
LAW = "\n".join(LAW_LINES)


@pytest.fixture
def law_chunks() -> tuple[Document, list[Chunk]]:
    doc = make_doc(LAW)
    return doc, chunk_document(doc)


def test_law_section_paths(law_chunks):
    doc, chunks = law_chunks
    check_invariants(doc, chunks)
    assert chunk_with(chunks, "第一条 为了规范").section_path == ("第一章 总则", "第一条")
    assert chunk_with(chunks, "第三条").section_path == ("第一章 总则", "第三条")
    assert chunk_with(chunks, "第八条 本办法所称").section_path == ("第二章 组织机构", "第八条")
    assert chunk_with(chunks, "第八条之一").section_path == ("第二章 组织机构", "第八条之一")
    assert chunk_with(chunks, "第十条").section_path == ("第三章 附则", "第十条")


def test_enumerations_inside_an_article_stay_in_the_article(law_chunks):
    _, chunks = law_chunks
    article_eight = chunk_with(chunks, "第八条 本办法所称")
    assert "（一）街道设立的社区服务中心；" in article_eight.text
    assert article_eight.text.endswith("（三）依法登记的社会组织举办的服务机构。")
    assert not any("（二）" in entry for chunk in chunks for entry in chunk.section_path)


def test_no_chunk_crosses_an_article_boundary(law_chunks):
    doc, chunks = law_chunks
    for chunk in chunks:
        labels = ARTICLE_AT_LINE_START.findall(chunk.text)
        assert len(labels) <= 1, chunk.text
        if labels:
            # Only the title and 第X章 headings may come before the article label.
            before = chunk.text[: ARTICLE_AT_LINE_START.search(chunk.text).start()]
            for line in filter(None, (line.strip() for line in before.splitlines())):
                heading = classify_heading(line)
                assert line == "某市社区服务管理办法" or (heading and heading.rank == Level.CHAPTER)
            assert labels[0] == chunk.section_path[-1].split("之")[0]
        assert ends_at_sentence_or_line(doc, chunk), chunk.text


def test_a_chapter_heading_travels_with_its_first_article(law_chunks):
    _, chunks = law_chunks
    assert chunk_with(chunks, "第二章 组织机构").text.startswith("第二章 组织机构\n\n第八条 本办法所称")
    # The title above the first chapter is preamble text: it joins the first article too.
    assert chunks[0].text.startswith("某市社区服务管理办法\n\n第一章　总则\n\n第一条")
    assert chunks[0].section_path == ("第一章 总则", "第一条")


def test_a_long_article_is_split_with_overlap_and_keeps_its_path(law_chunks):
    _, chunks = law_chunks
    parts = [chunk for chunk in chunks if chunk.section_path == ("第二章 组织机构", "第九条")]
    assert len(ARTICLE_NINE) > 400
    assert len(parts) == 2
    first, second = parts
    assert first.text.startswith("第九条 社区服务中心应当建立服务台账")
    assert second.text.endswith("具体评估办法由区民政部门另行制定。")
    # The second part starts with the last whole sentence(s) of the first, at most 60 characters.
    overlap = first.end - second.start
    assert 0 < overlap <= 60
    assert first.text.endswith(second.text[:overlap])
    assert second.text[:overlap] in LONG_ARTICLE_SENTENCES or second.text[:overlap].endswith("。")


def test_articles_never_merge_even_when_tiny(law_chunks):
    _, chunks = law_chunks
    # 第二条 and 第三条 are far below min_chars (80) but stay separate chunks.
    assert chunk_with(chunks, "第二条").text == "第二条 本办法适用于本市行政区域内的社区服务活动。"
    assert chunk_with(chunks, "第三条").text == "第三条 市民政部门负责全市社区服务的统筹协调和监督管理。"


def test_markup_headings_from_the_parser_are_outermost():
    lines = ["社区服务管理办法", "第一章 总则", "第一条 为了规范社区服务管理，制定本办法。"]
    text = "\n".join(lines)
    title_end = len(lines[0])
    chapter_start = title_end + 1
    doc = make_doc(
        text,
        kind="docx",
        headings=(Heading(0, title_end, 1), Heading(chapter_start, chapter_start + len(lines[1]), 2)),
    )
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    assert [chunk.section_path for chunk in chunks] == [("社区服务管理办法", "第一章 总则", "第一条")]
    assert chunks[0].text == text


# --- a policy plan -----------------------------------------------------------------------------

PLAN = "\n".join(
    [
        "某区数字政务建设实施方案",
        "为加快数字政务建设，提升政务服务效能，结合本区实际，制定本方案。",
        "一、总体要求",
        "（一）坚持问题导向。聚焦群众办事堵点，逐项明确整改措施。",
        "（二）坚持统筹推进。各部门分工协作，形成工作合力。",
        "二、主要任务",
        "1. 推进数据共享。" + "建立全区统一的数据共享目录，明确共享范围、共享方式和更新频率。" * 3,
        "2. 优化办事流程。" + "全面梳理政务服务事项，压减办理环节、申请材料和办理时限。" * 3,
    ]
)


def test_plan_outline_paths_and_tiny_sections_merge():
    doc = make_doc(PLAN)
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    title = "某区数字政务建设实施方案"
    # "一、总体要求" has no text of its own, （一） and （二） are tiny (< 80): one chunk under 一、.
    first_part = chunk_with(chunks, "（一）坚持问题导向")
    assert first_part.text.startswith("一、总体要求\n（一）坚持问题导向。")
    assert "（二）坚持统筹推进。" in first_part.text
    assert first_part.section_path == (title, "一、总体要求")
    assert "二、主要任务" not in first_part.text, "tiny units never merge across top-level sections"
    # A sentence-like outline item is entered by its words up to the first punctuation.
    task_one = chunk_with(chunks, "1. 推进数据共享")
    assert task_one.section_path == (title, "二、主要任务", "1. 推进数据共享")
    assert task_one.text.startswith("二、主要任务\n1. 推进数据共享。")
    assert chunk_with(chunks, "2. 优化办事流程").section_path == (title, "二、主要任务", "2. 优化办事流程")
    # The introduction sits under the plain title heading, alone: it is 32 characters but
    # must not merge into "一、" (a heading only joins what follows it).
    intro = chunk_with(chunks, "为加快数字政务建设")
    assert intro.section_path == (title,)
    assert "一、总体要求" not in intro.text


def test_short_paragraphs_under_one_heading_are_merged_up_to_min_chars():
    paragraphs = [
        f"第{n}项工作已经完成，相关材料已经报送区政府办公室备案，请各单位按时查阅并抓好落实。"
        for n in range(10)
    ]
    assert {len(paragraph) for paragraph in paragraphs} == {41}
    doc = make_doc("一、工作进展\n\n" + "\n\n".join(paragraphs))
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    # Paragraphs (blank-line separated) are chunked one by one, a paragraph shorter than
    # min_chars (80) joining the next: heading + 2 paragraphs (6 + 2 + 41 + 2 + 41 = 92),
    # then pairs of 41 + 2 + 41 = 84: five chunks, not ten, and not two packed windows.
    assert [len(chunk.text) for chunk in chunks] == [92, 84, 84, 84, 84]
    assert all(chunk.section_path == ("一、工作进展",) for chunk in chunks)
    assert all(ends_at_sentence_or_line(doc, chunk) for chunk in chunks)


def test_paragraphs_are_not_packed_together_but_articles_stay_whole():
    first = "甲" * 30 + "。" + "乙" * 60 + "。"
    second = "丙" * 90 + "。"
    news = chunk_document(make_doc("一、工作进展\n\n" + first + "\n\n" + second), max_chars=300, min_chars=60)
    assert [c.text for c in news] == ["一、工作进展\n\n" + first, second]
    law = make_doc("第一条 " + first + "\n\n" + second + "\n\n第二条 " + second)
    chunks = chunk_document(law, max_chars=300, min_chars=60)
    assert [c.section_path for c in chunks] == [("第一条",), ("第二条",)]
    assert chunks[0].text == "第一条 " + first + "\n\n" + second


# --- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """# 数据安全管理规范

## 一、适用范围

本规范适用于本单位各部门处理的业务数据和个人信息，包括数据的收集、存储、使用、加工、传输、提供和公开等活动。外包服务单位处理本单位数据的，参照本规范执行。

## 二、管理要求

### （一）分类分级

各部门应当按照数据的重要程度和泄露后的影响范围，对本部门数据进行分类分级，形成数据目录，并报信息中心备案。数据目录每年更新一次。

### （二）访问控制

核心数据实行最小授权原则，账号权限每半年复核一次，离岗人员的账号应当在一个工作日内停用。访问核心数据的操作应当留存日志，日志保存不少于六个月。
"""


def test_markdown_headings_give_the_path():
    doc = make_doc(MARKDOWN, kind="markdown")
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    assert chunk_with(chunks, "本规范适用于").section_path == ("数据安全管理规范", "一、适用范围")
    assert chunk_with(chunks, "核心数据").section_path == (
        "数据安全管理规范",
        "二、管理要求",
        "（二）访问控制",
    )
    # "## 二、管理要求" has no text of its own: it travels with its first subsection.
    classification = chunk_with(chunks, "形成数据目录")
    assert classification.text.startswith("## 二、管理要求\n\n### （一）分类分级")
    assert classification.section_path == ("数据安全管理规范", "二、管理要求", "（一）分类分级")


# --- the seed news article ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[Document, list[Chunk]]:
    doc = make_doc(SEED.read_text(encoding="utf-8"))
    return doc, chunk_document(doc)


def test_seed_invariants_and_sentences(seed):
    doc, chunks = seed
    check_invariants(doc, chunks)
    assert all(ends_at_sentence_or_line(doc, chunk) for chunk in chunks)


def test_seed_wuqing_paragraph_is_whole_under_its_subheading(seed):
    _, chunks = seed
    wuqing = chunk_with(chunks, "‘五清’,班子清廉")
    assert WUQING in wuqing.text
    assert "谈及清廉村居单元建设标准,西渡镇梅花村支书刘准颇为熟稔。" in wuqing.text
    assert "不会干看清单: 怎么建什么样,分类别有规范" in wuqing.section_path


def test_seed_subheadings(seed):
    _, chunks = seed
    paths = {chunk.section_path for chunk in chunks}
    assert paths == {
        ("从“立柱架梁”向精雕细琢",),  # the title; the 32-character kicker above it is too long
        ("边实践边探索: 耕好“试验田”,探出“衡阳路”",),  # kicker + title on two lines
        ("不会干看清单: 怎么建什么样,分类别有规范",),
        ("树标杆衡阳范: 开的“品牌花”,结的“满意果”",),
    }
    # The byline is text, not a heading.
    assert "■衡阳日报全媒体记者 易成章" in chunks[0].text
    assert chunk_with(chunks, "早在去年,市委").section_path == ("边实践边探索: 耕好“试验田”,探出“衡阳路”",)


def test_plain_headings_can_be_turned_off(seed):
    doc, _ = seed
    chunks = chunk_document(doc, plain_headings=False)
    check_invariants(doc, chunks)
    assert {chunk.section_path for chunk in chunks} == {()}


# --- sentences, long sentences, pages, bounds --------------------------------------------------


def test_split_sentences_keeps_closing_quotes_and_numbers():
    text = "他说：“标准要细。”然后离开了！增长1.5倍；网址www.gov.cn不拆"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "他说：“标准要细。”",
        "然后离开了！",
        "增长1.5倍；",
        "网址www.gov.cn不拆",
    ]


def test_classify_heading_levels_and_entries():
    assert classify_heading("第二章　组织机构") == classify_heading("第二章 组织机构")
    assert classify_heading("第二章 组织机构").entry == "第二章 组织机构"
    assert classify_heading("第八条 本办法所称社区服务机构。").entry == "第八条"
    assert classify_heading("第八条之一 本办法").entry == "第八条之一"
    assert classify_heading("（一）坚持问题导向。各单位要聚焦问题。").entry == "（一）坚持问题导向"
    assert classify_heading("一、总体要求").entry == "一、总体要求"
    assert classify_heading("第三章规定的事项，按照本办法办理。") is None
    assert classify_heading("依照本法第八条处理。") is None
    ranks = [
        classify_heading(line).rank
        for line in [
            "# 标题",
            "第一编 总则",
            "第一章 总则",
            "第一节 一般规定",
            "第一条 为了",
            "一、总体要求",
            "（一）原则",
            "1. 任务",
            "（1）细则",
            "①事项",
        ]
    ]
    assert ranks == [1, Level.PART, Level.CHAPTER, Level.SECTION, Level.ARTICLE] + [
        Level.OUTLINE_1,
        Level.OUTLINE_2,
        Level.OUTLINE_3,
        Level.OUTLINE_4,
        Level.OUTLINE_5,
    ]
    assert ranks == sorted(ranks)


def test_an_overlong_sentence_is_cut_at_commas_then_hard():
    clause = "加强基层治理体系建设，"  # 11 characters
    comma_sentence = clause * 40 + "全面提升服务水平。"  # 449 characters, one sentence
    no_punctuation = "数" * 450
    doc = make_doc(comma_sentence + "\n" + no_punctuation, kind="pdf")
    chunks = chunk_document(doc, max_chars=100, min_chars=20, overlap_chars=30)
    check_invariants(doc, chunks, max_chars=100)
    for chunk in chunks:
        # Cut after a comma, at a sentence or line end, or hard at exactly max_chars.
        assert (
            chunk.text.endswith(("，", "。"))
            or ends_at_sentence_or_line(doc, chunk)
            or len(chunk.text) == 100
        )
    hard = [chunk.text for chunk in chunks if set(chunk.text) == {"数"}]
    assert [len(part) for part in hard] == [100, 100, 100, 100, 50]


def test_page_numbers_come_from_the_page_spans():
    page_one = "第一条 为了规范管理，制定本办法。"
    page_two = "第二条 本办法自发布之日起施行。"
    text = page_one + "\n" + page_two
    doc = make_doc(
        text, kind="pdf", pages=(Page(1, 0, len(page_one) + 1), Page(2, len(page_one) + 1, len(text)))
    )
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    assert [(chunk.text, chunk.page) for chunk in chunks] == [(page_one, 1), (page_two, 2)]


def test_empty_document_gives_no_chunks():
    assert chunk_document(make_doc(" \n\u3000\n")) == []


@pytest.mark.parametrize(
    ("max_chars", "min_chars", "overlap_chars"),
    [(0, 0, 0), (400, -1, 60), (400, 80, -1), (400, 400, 60), (400, 80, 200), (100, 150, 10)],
)
def test_inconsistent_bounds_are_rejected(max_chars, min_chars, overlap_chars):
    with pytest.raises(ValueError):
        chunk_document(
            make_doc("一句话。"), max_chars=max_chars, min_chars=min_chars, overlap_chars=overlap_chars
        )


def test_a_heading_split_over_two_lines_by_the_parser_is_one_entry():
    text = "第一章\n总则\n本章规定一般原则，适用于全部条文以外的事项。"
    doc = make_doc(text, kind="docx", headings=(Heading(0, len("第一章\n总则"), 1),))
    chunks = chunk_document(doc)
    check_invariants(doc, chunks)
    assert [chunk.section_path for chunk in chunks] == [("第一章 总则",)]


@pytest.mark.parametrize(
    ("max_chars", "min_chars", "overlap_chars"), [(50, 10, 20), (100, 0, 0), (1000, 300, 100)]
)
@pytest.mark.parametrize("name", ["law", "plan", "markdown", "seed"])
def test_invariants_hold_for_other_bounds(name, max_chars, min_chars, overlap_chars):
    text = {"law": LAW, "plan": PLAN, "markdown": MARKDOWN, "seed": SEED.read_text(encoding="utf-8")}[name]
    doc = make_doc(text, kind="markdown" if name == "markdown" else "text")
    chunks = chunk_document(doc, max_chars=max_chars, min_chars=min_chars, overlap_chars=overlap_chars)
    check_invariants(doc, chunks, max_chars=max_chars)
    for chunk in chunks:
        assert len(ARTICLE_AT_LINE_START.findall(chunk.text)) <= 1


# --- numbers, tables of contents, compilations, context headers ------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("一百零五", 105), ("两百", 200), ("三百二十一", 321),
     ("42", 42), ("一千零一", 1001), ("条", None)],
)
def test_chinese_numerals_read_as_article_numbers(numeral, value):
    assert chinese_number(numeral) == value


def test_label_numbers():
    assert label_number("第十一条") == 11
    assert label_number("第三章 总则") == 3
    assert label_number("一、总则") is None


def test_parts_and_pieces_of_a_plan_are_structure_levels():
    assert classify_heading("第一篇 总体要求").rank == Level.PART
    assert classify_heading("第二部分 重点任务").rank == Level.PART
    assert classify_heading("第一部分规定的事项应当报告。") is None  # a sentence citing a part


TOC_LAW = """某某管理办法
目录
第一章 总则……………………1
第二章 管理……………………3
第一章 总则
第一条 为了规范管理，制定本办法。
第二章 管理
第二条 管理工作由办公室负责。
"""


def test_a_table_of_contents_is_neither_content_nor_section_path():
    doc = make_doc(TOC_LAW)
    chunks = chunk_document(doc)
    assert not any("……" in chunk.text or chunk.text == "目录" for chunk in chunks)
    assert chunk_with(chunks, "为了规范管理").section_path == ("第一章 总则", "第一条")
    assert chunk_with(chunks, "由办公室负责").section_path == ("第二章 管理", "第二条")


def test_a_table_of_contents_without_page_numbers_ends_where_its_first_entry_returns():
    text = "目录\n第一章 总则\n第二章 管理\n第一章 总则\n第一条 为了规范管理，制定本办法。\n第二章 管理\n第二条 由办公室负责。"
    lines = list(iter_lines(text))
    assert find_toc_lines(text, lines) == {0, 1, 2}


def test_a_word_table_of_contents_with_tabs_and_page_numbers_is_left_out():
    text = "第一章\t总则\t1\n第二章\t管理\t3\n第一章 总则\n第一条 为了规范管理，制定本办法。"
    lines = list(iter_lines(text))
    assert find_toc_lines(text, lines) == {0, 1}


COMPILATION = """学生手册
学生管理规定
（2017年修订）
第一章 总则
第一条 为规范学生管理，制定本规定。
第二条 本规定适用于全日制学生。
第二章 附则
第三条 本规定自发布之日起施行。
学生纪律处分办法
信工学〔2025〕12号
第一章 总则
第一条 为维护校园秩序，制定本办法。
第二条 纪律处分的种类分为：
（一）警告；
（二）严重警告；
（三）记过。
第三条 本办法由学生处负责解释。
奖学金评比办法
第一条 奖学金每年评比一次。
第二条 评比结果公示五日。
"""


def test_a_compilation_is_cut_into_its_regulations():
    doc = make_doc(COMPILATION, title="学生手册")
    chunks = chunk_document(doc, max_chars=300, min_chars=10)
    check_invariants(doc, chunks, max_chars=300)
    assert chunk_with(chunks, "为规范学生管理").section_path == ("学生管理规定", "第一章 总则", "第一条")
    assert chunk_with(chunks, "自发布之日起施行").section_path == ("学生管理规定", "第二章 附则", "第三条")
    kinds = chunk_with(chunks, "纪律处分的种类")
    assert kinds.section_path == ("学生纪律处分办法", "第一章 总则", "第二条")
    assert "（三）记过。" in kinds.text
    assert chunk_with(chunks, "每年评比一次").section_path == ("奖学金评比办法", "第一条")
    # the next regulation's title is not part of the article before it
    assert "学生纪律处分办法" not in chunk_with(chunks, "自发布之日起施行").text
    assert "奖学金评比办法" not in chunk_with(chunks, "由学生处负责解释").text


def test_one_law_whose_chapters_restart_per_part_is_no_compilation():
    text = ("第一编 总则\n第一章 基本规定\n第一条 为了保护民事主体的合法权益，制定本法。\n"
            "第二条 民法调整平等主体之间的关系。\n第二编 物权\n第一章 通则\n第三条 本编调整物权关系。")
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=10)
    assert chunk_with(chunks, "本编调整物权关系").section_path == ("第二编 物权", "第一章 通则", "第三条")


def test_the_indexed_header_names_document_chapter_and_article():
    doc = make_doc(COMPILATION, title="学生手册")
    chunk = chunk_with(chunk_document(doc, max_chars=300, min_chars=10), "纪律处分的种类")
    assert chunk.context == "学生手册 › 学生纪律处分办法 › 第一章 总则 › 第二条"
    assert chunk.lexical_text == chunk.context + "\n" + chunk.text
    assert chunk_document(doc, max_chars=300, min_chars=10, context=False)[0].context == ""


def test_a_piece_of_a_split_article_carries_the_article_lead_in():
    items = "\n".join(f"（{n}）第{n}项内容是一段较长的说明文字，用来让这一条超过长度限制。" for n in "一二三四五六七八")
    doc = make_doc(f"第一章 总则\n第六条 学生纪律处分的种类分为：\n{items}\n第七条 其他。")
    chunks = [chunk for chunk in chunk_document(doc, max_chars=120, min_chars=20, overlap_chars=0)
              if chunk.section_path[-1:] == ("第六条",)]
    assert len(chunks) > 1
    assert chunks[0].context == "测试文档 › 第一章 总则 › 第六条"
    for piece in chunks[1:]:
        assert piece.context == "测试文档 › 第一章 总则 › 第六条 学生纪律处分的种类分为："


def test_a_chunk_over_a_page_break_knows_both_pages():
    first, second = "第一条 第一页上的条文开始，", "在第二页结束。"
    text = f"{first}\n{second}"
    doc = make_doc(text, kind="pdf", pages=(Page(1, 0, len(first)), Page(2, len(first) + 1, len(text))))
    (chunk,) = chunk_document(doc)
    assert (chunk.page, chunk.page_end) == (1, 2)


def test_a_report_is_indexed_with_its_section_path_and_a_law_with_its_name_too():
    report = make_doc("一、工作进展\n\n今年以来，全市推进清廉机关建设，取得明显成效，群众满意度持续提升。", title="衡阳推进清廉建设")
    assert chunk_with(chunk_document(report), "群众满意度").context == "一、工作进展"
    law = make_doc("第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于全市。", title="某某管理办法")
    assert chunk_with(chunk_document(law), "适用于全市").context == "某某管理办法 › 第一章 总则 › 第二条"


def test_an_article_starting_with_a_word_that_usually_cites_it_is_still_the_next_article():
    text = "第一条 为了完善劳动合同制度，制定本法。\n第二条中华人民共和国境内的企业适用本法。\n第三条中规定的事项另行规定。"
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=10)
    assert chunk_with(chunks, "境内的企业").section_path == ("第二条",)
    assert "为了完善" not in chunk_with(chunks, "境内的企业").text
    # 第三条 follows 第二条, so it is the next article too, whatever word comes after the label
    assert chunk_with(chunks, "另行规定").section_path == ("第三条",)


def test_a_line_citing_an_earlier_article_is_not_an_article():
    text = "第一条 为了规范管理，制定本办法。\n第二条 单位应当报告。\n第一条中规定的事项另行规定。"
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=10)
    assert chunk_with(chunks, "另行规定").section_path == ("第二条",)


def test_a_regulation_title_is_found_above_its_preamble_and_a_wrapped_note():
    text = """第一条 甲规定的第一条。
第二条 甲规定的第二条。
学生伤害事故处理办法
（2002年6月25日教育部令第12号发布 根据2010年12月13日《教育
部关于修改和废止部分规章的决定》修正）
第一章总则
第一条 为积极预防学生伤害事故，制定本办法。
第二条 本办法适用于全日制学生。
二〇〇四年九月七日
提前毕业管理办法
信息教〔2015〕47号
为进一步加强教学管理，制定此管理办法。
总则
普通全日制本科标准学制为四年。
第一条 提前毕业的基本条件。
第二条 申请程序另行规定。"""
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=10)
    assert chunk_with(chunks, "积极预防").section_path == ("学生伤害事故处理办法", "第一章总则", "第一条")
    assert chunk_with(chunks, "提前毕业的基本条件").section_path == ("提前毕业管理办法", "第一条")
    assert chunk_with(chunks, "加强教学管理").section_path[0] == "提前毕业管理办法"


def test_a_bare_title_over_another_title_is_no_chunk_of_its_own():
    text = "# 中华人民共和国民法典\n\n# 物权编\n\n2020年5月28日通过\n\n## 第一章 一般规定\n\n第二百零五条 本编调整物权关系。"
    chunks = chunk_document(make_doc(text, kind="markdown"), max_chars=300, min_chars=60)
    assert chunks[0].text.startswith("# 中华人民共和国民法典\n\n# 物权编")
    assert chunks[0].section_path == ("物权编",)


def test_a_title_at_the_level_of_the_chapters_leads_into_the_first_article():
    text = "劳动合同法\n第一章总则\n第一条为了完善劳动合同制度，制定本法。\n第二条本法适用于境内的企业。"
    doc = make_doc(text, kind="docx", headings=(Heading(0, 5, 3), Heading(6, 11, 3)))
    first = chunk_document(doc, max_chars=300, min_chars=60)[0]
    assert first.text.startswith("劳动合同法\n第一章总则\n第一条") and first.section_path == ("第一章总则", "第一条")


def test_the_misprint_笫_for_第_still_labels_an_article():
    text = "第十五条 二级学院负责初审。\n笫十六条 初步名单在网上公示。\n第十七条 项目立项后签定认定书。"
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=10)
    assert chunk_with(chunks, "初步名单").section_path == ("第十六条",)
    assert classify_heading("笫三章 项目管理").entry == "第三章 项目管理"


def test_a_chapter_whose_title_starts_with_项_is_a_chapter():
    assert classify_heading("第六章 项目运行和经费管理").rank == Level.CHAPTER
    assert classify_heading("第八条款项的规定另行公布。") is None  # 条款: a sentence, not 第八条


def test_names_of_a_covering_notice_include_the_document_it_issues():
    from ingest.chunking import names_of

    assert names_of("示范市人力资源局关于印发示范市见习基地管理办法的通知") == {
        "示范市人力资源局关于印发示范市见习基地管理办法的通知", "示范市见习基地管理办法"}
    assert "关于规范示范工作的若干意见" in names_of("示范部印发《关于规范示范工作的若干意见》的通知")
    assert names_of("中华人民共和国示范法") == {"示范法"}


HANDBOOK = """学生手册
目录
学生管理规定……………………1
示范学院学生奖学金评审办法………5示范学院学生公寓管理办法……9
学生管理规定
第一条 为规范学生管理，制定本规定。
第二条 本规定自发布之日起施行。
示范学院
学生奖学金评审办法
信工学〔2025〕9 号
为鼓励学生全面发展，特制定本办法。
一、评奖基本条件
（一）本院在读全日制本科生；
（二）评奖学期无违纪违规处分。
二、各类奖学金
考研奖学金金额为1000元/人。
示范学院学生公寓管理办法
一、学生应按学院安排入住公寓。
"""


def test_a_regulation_without_articles_is_found_by_the_title_its_table_of_contents_names():
    doc = make_doc(HANDBOOK, title="学生手册")
    chunks = chunk_document(doc, max_chars=300, min_chars=10)
    assert not any("……" in c.text for c in chunks), "the table of contents is no content"
    assert chunk_with(chunks, "自发布之日起施行").section_path[0] == "学生管理规定"
    award = chunk_with(chunks, "考研奖学金金额")
    assert award.section_path == ("示范学院学生奖学金评审办法", "二、各类奖学金")
    assert chunk_with(chunks, "入住公寓").section_path[0] == "示范学院学生公寓管理办法"
    assert "学生奖学金评审办法" not in chunk_with(chunks, "自发布之日起施行").text
