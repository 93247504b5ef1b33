"""Word automatic numbering and outline levels, on DOCX files with real numbering parts.

Every file is written at test time by tests/samples.write_numbered_docx: a python-docx
document whose word/numbering.xml holds the w:abstractNum / w:num elements given here.
The expected labels are written the way Word draws them; the suffix after a label is a
space for Word's tab (the default w:suff) and nothing for w:suff="nothing".
"""

from __future__ import annotations

import shutil

import pytest

import docx

from eval.libreoffice import missing_numbered_lines, numbered_lines, numbered_paragraph_agreement
from ingest.chunking import chunk_document
from ingest.parsers.docx import parse_docx
from ingest.parsers.docx_numbering import format_number
from tests import samples

NOTHING = '<w:suff w:val="nothing"/>'
RESTART_NEVER = '<w:lvlRestart w:val="0"/>'


def lvl(ilvl: int, fmt: str, text: str, start: int = 1, extra: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>{extra}'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
    )


def abstract(abstract_id: int, *levels: str, extra: str = "") -> str:
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{extra}{"".join(levels)}</w:abstractNum>'


def num(num_id: int, abstract_id: int, overrides: str = "") -> str:
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'


def start_override(ilvl: int, value: int) -> str:
    return f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{value}"/></w:lvlOverride>'


def numpr(num_id: int, ilvl: int | None = 0) -> str:
    level = "" if ilvl is None else f'<w:ilvl w:val="{ilvl}"/>'
    return f'<w:numPr>{level}<w:numId w:val="{num_id}"/></w:numPr>'


def para(text: str, num_id: int | None = None, ilvl: int = 0, properties: str = "") -> tuple[str, str, str]:
    return ("p", text, (numpr(num_id, ilvl) if num_id is not None else "") + properties)


def styled(style_id: str, text: str, properties: str = "") -> tuple[str, str, str]:
    return ("p", text, f'<w:pStyle w:val="{style_id}"/>{properties}')


def paragraph_style(style_id: str, properties: str = "", based_on: str | None = None) -> str:
    base = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (
        f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{style_id}"/>{base}'
        f"<w:pPr>{properties}</w:pPr></w:style>"
    )


def lines(tmp_path, numbering: str, blocks, styles: str = "", **kwargs) -> list[str]:
    path = samples.write_numbered_docx(tmp_path / "numbered.docx", numbering, blocks, styles, **kwargs)
    return parse_docx(path).text.split("\n")


# 第%1条 at level 0, （%2） at level 1: the shape of a Chinese regulation.
REGULATION = (
    abstract(0, lvl(0, "chineseCounting", "第%1条"), lvl(1, "chineseCounting", "（%2）", extra=NOTHING))
    + num(1, 0)
)


# --- labels -----------------------------------------------------------------------------------


def test_article_numbers_count_in_chinese(tmp_path):
    blocks = [para(f"本条是第{n}个条文。", 1) for n in range(1, 22)]
    got = lines(tmp_path, REGULATION, blocks)
    assert got[0] == "第一条 本条是第1个条文。"
    assert got[9] == "第十条 本条是第10个条文。"
    assert got[10] == "第十一条 本条是第11个条文。"
    assert got[19] == "第二十条 本条是第20个条文。"
    assert got[20] == "第二十一条 本条是第21个条文。"


def test_items_restart_under_each_article(tmp_path):
    blocks = [
        para("用人单位有下列情形之一的：", 1),
        para("未按照约定支付报酬的；", 1, 1),
        para("未依法缴纳社会保险费的。", 1, 1),
        para("劳动者有下列情形之一的：", 1),
        para("严重违反规章制度的。", 1, 1),
    ]
    assert lines(tmp_path, REGULATION, blocks) == [
        "第一条 用人单位有下列情形之一的：",
        "（一）未按照约定支付报酬的；",  # w:suff="nothing": no space after the label
        "（二）未依法缴纳社会保险费的。",
        "第二条 劳动者有下列情形之一的：",
        "（一）严重违反规章制度的。",  # level 1 restarts when level 0 advances
    ]


def test_lvl_restart_zero_keeps_counting_across_articles(tmp_path):
    numbering = (
        abstract(0, lvl(0, "decimal", "%1."), lvl(1, "decimalEnclosedCircle", "%2", extra=RESTART_NEVER))
        + num(1, 0)
    )
    blocks = [para("甲", 1), para("子项", 1, 1), para("乙", 1), para("续项", 1, 1)]
    assert lines(tmp_path, numbering, blocks) == ["1. 甲", "① 子项", "2. 乙", "② 续项"]


def test_decimal_and_multilevel_labels(tmp_path):
    levels = lvl(0, "decimal", "%1."), lvl(1, "decimal", "%1.%2"), lvl(2, "lowerLetter", "%3)")
    numbering = abstract(0, *levels) + num(1, 0)
    blocks = [
        para("总体要求", 1),
        para("指导思想", 1, 1),
        para("坚持人民至上", 1, 2),
        para("工作目标", 1, 1),
        para("主要任务", 1),
        para("完善设施", 1, 1),
    ]
    assert lines(tmp_path, numbering, blocks) == [
        "1. 总体要求",
        "1.1 指导思想",
        "a) 坚持人民至上",
        "1.2 工作目标",
        "2. 主要任务",
        "2.1 完善设施",
    ]


def test_enclosed_circle_numbers(tmp_path):
    numbering = abstract(0, lvl(0, "decimalEnclosedCircle", "%1", extra=NOTHING)) + num(1, 0)
    blocks = [para(text, 1) for text in ("报名", "审核", "公示")]
    assert lines(tmp_path, numbering, blocks) == ["①报名", "②审核", "③公示"]


def test_legal_numbering_writes_every_level_in_decimals(tmp_path):
    levels = lvl(0, "chineseCounting", "第%1章"), lvl(1, "decimal", "%1.%2", extra="<w:isLgl/>")
    numbering = abstract(0, *levels) + num(1, 0)
    blocks = [para("总则", 1), para("目的", 1, 1), para("适用范围", 1, 1)]
    assert lines(tmp_path, numbering, blocks) == ["第一章 总则", "1.1 目的", "1.2 适用范围"]


def test_start_override_restarts_the_list(tmp_path):
    numbering = abstract(0, lvl(0, "decimal", "（%1）")) + num(1, 0) + num(2, 0, start_override(0, 5))
    blocks = [para("一号", 1), para("二号", 1), para("五号", 2), para("六号", 2)]
    assert lines(tmp_path, numbering, blocks) == ["（1） 一号", "（2） 二号", "（5） 五号", "（6） 六号"]


def test_lists_sharing_an_abstract_definition_share_its_counter(tmp_path):
    # Word counts per w:abstractNum: numId 2 continues numId 1; numId 3 restarts the shared
    # counter once (its startOverride), and numId 1 then continues from there.
    numbering = abstract(0, lvl(0, "decimal", "%1.")) + num(1, 0) + num(2, 0)
    numbering += num(3, 0, start_override(0, 1))
    order = [("a", 1), ("b", 1), ("c", 2), ("d", 2), ("e", 3), ("f", 3), ("g", 1)]
    blocks = [para(text, num_id) for text, num_id in order]
    assert lines(tmp_path, numbering, blocks) == ["1. a", "2. b", "3. c", "4. d", "1. e", "2. f", "3. g"]


def test_replacement_level_changes_the_format_not_the_count(tmp_path):
    replacement = (
        '<w:lvlOverride w:ilvl="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/>'
        '<w:lvlText w:val="%1:"/></w:lvl></w:lvlOverride>'
    )
    numbering = abstract(0, lvl(0, "decimal", "%1.")) + num(1, 0) + num(2, 0, replacement)
    blocks = [para("a", 1), para("b", 1), para("c", 2)]
    assert lines(tmp_path, numbering, blocks) == ["1. a", "2. b", "III: c"]


def test_numbering_from_the_paragraph_style_and_its_base_style(tmp_path):
    styles = (
        paragraph_style("Article", numpr(1, None))
        + paragraph_style("ArticleKept", based_on="Article")  # inherits the numbering of its base
        + paragraph_style("Item", numpr(1, 1))
    )
    blocks = [
        styled("Article", "为了规范管理，制定本办法。"),
        styled("Item", "市级部门；"),
        styled("ArticleKept", "本办法适用于本市。"),
        styled("Article", "附注不编号。", numpr(0, None)),  # numId 0 switches the style's numbering off
        styled("Article", "本办法自发布之日起施行。"),
    ]
    assert lines(tmp_path, REGULATION, blocks, styles) == [
        "第一条 为了规范管理，制定本办法。",
        "（一）市级部门；",
        "第二条 本办法适用于本市。",
        "附注不编号。",
        "第三条 本办法自发布之日起施行。",
    ]


def test_numbering_style_link(tmp_path):
    # A list style: abstractNum 1 holds only w:numStyleLink -> style "LegalList" -> numId 2 ->
    # abstractNum 0, which has the levels (and w:styleLink back to the style).
    styles = (
        '<w:style w:type="numbering" w:styleId="LegalList"><w:name w:val="Legal list"/>'
        f"<w:pPr>{numpr(2, None)}</w:pPr></w:style>"
    )
    numbering = (
        abstract(0, lvl(0, "chineseCounting", "%1、", extra=NOTHING), extra='<w:styleLink w:val="LegalList"/>')
        + abstract(1, extra='<w:numStyleLink w:val="LegalList"/>')
        + num(2, 0)
        + num(3, 1)
    )
    blocks = [para("总体要求", 3), para("重点任务", 3)]
    assert lines(tmp_path, numbering, blocks, styles) == ["一、总体要求", "二、重点任务"]


def test_bullets_get_no_label(tmp_path):
    numbering = abstract(0, lvl(0, "bullet", "\u2022")) + num(1, 0)
    assert lines(tmp_path, numbering, [para("要点一", 1), para("要点二", 1)]) == ["要点一", "要点二"]


def test_table_cells_count_in_document_order(tmp_path):
    numbering = abstract(0, lvl(0, "decimal", "%1、", extra=NOTHING)) + num(1, 0)
    blocks = [
        para("调研现状", 1),
        ("table", [[("确定主题", numpr(1)), ("2024.10.8", "")], [("形成报告", numpr(1)), ("王某", "")]]),
        para("总结验收", 1),
    ]
    assert lines(tmp_path, numbering, blocks) == [
        "1、调研现状",
        "2、确定主题 | 2024.10.8",
        "3、形成报告 | 王某",
        "4、总结验收",
    ]


def test_empty_numbered_paragraph_is_dropped_but_counted(tmp_path):
    numbering = abstract(0, lvl(0, "decimal", "%1.")) + num(1, 0)
    assert lines(tmp_path, numbering, [para("一", 1), para("", 1), para("三", 1)]) == ["1. 一", "3. 三"]


@pytest.mark.parametrize(
    ("numbering", "label"),
    [
        (num(1, 0), ""),  # w:num names an abstractNum that does not exist
        (abstract(0, lvl(0, "decimal", "%1.")) + num(2, 0), ""),  # the paragraph's numId 1 does not exist
        (abstract(0, lvl(0, "decimal", "%1.")) + num(1, 0), "1. "),
    ],
)
def test_dangling_numbering_references_give_no_label(tmp_path, numbering, label):
    assert lines(tmp_path, numbering, [para("正文", 1)]) == [label + "正文"]


def test_numbered_paragraphs_without_a_numbering_part(tmp_path):
    got = lines(tmp_path, REGULATION, [para("正文照常读取。", 1)], numbering_part=False)
    assert got == ["正文照常读取。"]


def test_paragraph_text_is_cleaned(tmp_path):
    blocks = [para("第\u2f00条 为了规范\u200b管理。"), para("\u200b\u200d"), para("本办法自发布之日起施行。")]
    # U+2F00 KANGXI RADICAL ONE reads 一; a paragraph of zero-width characters is empty and dropped
    assert lines(tmp_path, "", blocks) == ["第一条 为了规范管理。", "本办法自发布之日起施行。"]


# --- number formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "values", "expected"),
    [
        ("decimal", [1, 10, 105], ["1", "10", "105"]),
        ("decimalZero", [1, 9, 10, 105], ["01", "09", "10", "105"]),
        ("decimalFullWidth", [1, 12], ["１", "１２"]),
        ("decimalEnclosedCircle", [1, 10, 20, 21], ["①", "⑩", "⑳", "21"]),  # past ⑳ Word writes decimals
        ("chineseCounting", [1, 10, 11, 20, 21, 99], ["一", "十", "十一", "二十", "二十一", "九十九"]),
        ("chineseCounting", [100, 101, 110], ["一百", "一百零一", "一百一十"]),  # as LibreOffice writes them
        (
            "chineseCountingThousand",
            [10, 11, 100, 101, 110, 1001, 1010, 10001],
            ["十", "十一", "一百", "一百零一", "一百一十", "一千零一", "一千零一十", "一万零一"],
        ),
        ("chineseLegalSimplified", [1, 3, 10, 11, 20, 101], ["壹", "叁", "壹拾", "壹拾壹", "贰拾", "壹佰零壹"]),
        ("ideographTraditional", [1, 4, 10, 11], ["甲", "丁", "癸", "11"]),
        ("ideographZodiac", [1, 2, 12, 13], ["子", "丑", "亥", "13"]),
        ("japaneseCounting", [10, 11, 100, 111], ["十", "十一", "百", "百十一"]),
        ("lowerLetter", [1, 26, 27, 28], ["a", "z", "aa", "bb"]),
        ("upperLetter", [2, 53], ["B", "AAA"]),
        ("lowerRoman", [4, 9, 14], ["iv", "ix", "xiv"]),
        ("upperRoman", [40, 1999], ["XL", "MCMXCIX"]),
        ("bullet", [1], [""]),
        ("none", [1], [""]),
        ("cardinalText", [3], ["3"]),  # no rule here: decimal
    ],
)
def test_format_number(fmt, values, expected):
    assert [format_number(value, fmt) for value in values] == expected


# --- headings from outline levels -------------------------------------------------------------


def test_outline_levels_make_headings(tmp_path):
    styles = (
        paragraph_style("ChapterTitle", '<w:outlineLvl w:val="0"/>')
        + paragraph_style("SectionTitle", based_on="ChapterTitle", properties='<w:outlineLvl w:val="1"/>')
        + paragraph_style("InheritsOutline", based_on="SectionTitle")
    )
    blocks = [
        styled("ChapterTitle", "第一章 总则"),
        styled("SectionTitle", "第一节 一般规定"),
        styled("InheritsOutline", "第二节 特别规定"),
        para("直接设置的三级标题", properties='<w:outlineLvl w:val="2"/>'),
        styled("ChapterTitle", "正文大纲级别覆盖样式", '<w:outlineLvl w:val="9"/>'),  # 9 is body text
        para("普通正文。"),
    ]
    path = samples.write_numbered_docx(tmp_path / "outline.docx", "", blocks, styles)
    doc = parse_docx(path)
    assert [(doc.text[h.start : h.end], h.level) for h in doc.headings] == [
        ("第一章 总则", 1),
        ("第一节 一般规定", 2),
        ("第二节 特别规定", 2),
        ("直接设置的三级标题", 3),
    ]


def test_outline_level_overrides_a_heading_style_name(tmp_path):
    # The paragraph's own w:outlineLvl 9 makes a "Heading 1" paragraph body text, as in Word.
    blocks = [styled("Heading1", "看似标题的正文", '<w:outlineLvl w:val="9"/>'), styled("Heading1", "真正的标题")]
    doc = parse_docx(samples.write_numbered_docx(tmp_path / "override.docx", "", blocks))
    assert [(doc.text[h.start : h.end], h.level) for h in doc.headings] == [("真正的标题", 1)]


# --- the chunker sees the articles ------------------------------------------------------------


def test_chunker_labels_auto_numbered_articles(tmp_path):
    styles = paragraph_style("ChapterTitle", '<w:outlineLvl w:val="0"/>')
    numbering = REGULATION + abstract(1, lvl(0, "chineseCounting", "第%1章")) + num(2, 1)
    blocks = [
        styled("ChapterTitle", "总则", numpr(2)),
        para("为了规范社区公共服务设施的建设、使用和管理，提升社区服务水平，制定本办法。", 1),
        para("本办法所称社区公共服务设施，包括下列场所：", 1),
        para("文化活动场所；", 1, 1),
        para("养老托育场所。", 1, 1),
        styled("ChapterTitle", "附则", numpr(2)),
        para("本办法自发布之日起施行。", 1),
    ]
    doc = parse_docx(samples.write_numbered_docx(tmp_path / "rules.docx", numbering, blocks, styles))
    chunks = chunk_document(doc, max_chars=60, min_chars=10, overlap_chars=0)
    paths = {chunk.section_path[-1]: chunk.section_path for chunk in chunks}
    assert paths["第一条"] == ("第一章 总则", "第一条")
    assert paths["第二条"] == ("第一章 总则", "第二条")
    assert paths["第三条"] == ("第二章 附则", "第三条")
    second = next(chunk for chunk in chunks if chunk.section_path[-1] == "第二条")
    assert second.text.startswith("第二条 本办法所称社区公共服务设施")


# --- the LibreOffice comparison ---------------------------------------------------------------


def test_numbered_lines_of_a_reference():
    reference = "标题\n第一条 为了规范。\n    1. 第一项\n（一） 子项\n3. \n第三章规定的事项\n① 圈号项"
    # the bare "3. " has no text to compare; "第三章规定的" cites a chapter, it is no label
    assert numbered_lines(reference) == ["第一条 为了规范。", "1. 第一项", "（一） 子项", "① 圈号项"]


def test_agreement_ignores_whitespace_and_finds_cell_paragraphs():
    reference = "第一条 为了规范。\n    1、 熟悉政策\n2、 调研\n（二） 缺失的项"
    ours = "第一条为了规范。\n阶段 | 1、熟悉政策 2、调研 | 2024.10.8"
    assert numbered_paragraph_agreement(ours, reference) == (3, 4)
    assert missing_numbered_lines(ours, reference) == ["（二） 缺失的项"]


def test_agreement_needs_whole_paragraphs():
    # "1. 甲" inside "11. 甲方" or as the start of a longer paragraph is not the paragraph "1. 甲"
    assert numbered_paragraph_agreement("11. 甲\n1. 甲方", "1. 甲") == (0, 1)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_labels_agree_with_libreoffice(tmp_path):
    from eval.libreoffice import libreoffice_text

    numbering = REGULATION + abstract(1, lvl(0, "decimal", "%1.")) + num(2, 1)
    numbering += num(3, 1, start_override(0, 4))
    blocks = [
        para("为了规范管理，制定本办法。", 1),
        para("本办法适用于下列单位：", 1),
        para("机关；", 1, 1),
        para("事业单位。", 1, 1),
        para("具体要求如下：", 1),
        para("按时报送。", 1, 1),
        para("一号事项", 2),
        para("二号事项", 2),
        para("四号事项", 3),
    ]
    path = samples.write_numbered_docx(tmp_path / "compare.docx", numbering, blocks)
    reference = libreoffice_text(path)
    assert numbered_paragraph_agreement(parse_docx(path).text, reference) == (len(blocks), len(blocks))


def test_hidden_and_zero_size_runs_are_not_text(tmp_path):
    """A web page saved as Word keeps its fold buttons in 0-pt type; Word shows neither them nor w:vanish runs."""
    from docx.shared import Pt

    document = docx.Document()
    heading = document.add_heading(level=1)
    heading.add_run("折叠").font.size = Pt(0)
    heading.add_run("第二章 劳动合同的订立")
    body = document.add_paragraph("第七条 用人单位自用工之日起")
    body.add_run("（隐藏的批注）").font.hidden = True
    body.add_run("即与劳动者建立劳动关系。")
    path = tmp_path / "hidden.docx"
    document.save(str(path))
    assert parse_docx(path).text == "第二章 劳动合同的订立\n第七条 用人单位自用工之日起即与劳动者建立劳动关系。"
