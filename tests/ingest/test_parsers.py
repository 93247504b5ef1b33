"""The file parsers on real files written at test time (see tests/samples.py)."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from ingest.parsers import PARSERS, document_id, parse_file
from ingest.parsers.docx import parse_docx
from ingest.parsers.html import parse_html
from ingest.parsers.pdf import normalize_page_text, parse_pdf
from ingest.parsers.text import parse_text
from ingest.types import Document, ParseError
from tests import samples

SEED = Path(__file__).resolve().parents[2] / "corpus" / "000_5c55d41fe458c655.txt"


def headings_of(doc: Document) -> list[tuple[str, int]]:
    return [(doc.text[h.start : h.end], h.level) for h in doc.headings]


def lines_of(doc: Document) -> list[str]:
    return doc.text.split("\n")


# --- registry and parse_file checks ----------------------------------------------------------


def test_registry_covers_every_supported_suffix():
    assert sorted(PARSERS) == [
        ".csv", ".doc", ".docx", ".htm", ".html", ".json", ".markdown", ".md", ".ofd", ".pdf", ".txt", ".wps",
        ".xlsx", ".yaml", ".yml",
    ]


def test_document_id_is_a_sha256_prefix_of_the_text():
    text = "第一条 为了规范管理，制定本办法。"
    assert document_id(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    assert len(document_id(text)) == 16


def test_same_text_in_different_encodings_gets_the_same_id(tmp_path):
    utf8 = tmp_path / "utf8.txt"
    utf8.write_text(samples.GBK_TEXT, encoding="utf-8")
    gbk = samples.write_gbk_text(tmp_path / "gbk.txt")
    assert parse_file(utf8).id == parse_file(gbk).id == document_id(samples.GBK_TEXT)


def test_unknown_suffix_names_it_and_lists_the_supported_ones(tmp_path):
    path = tmp_path / "budget.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 an old binary spreadsheet")
    with pytest.raises(ParseError) as error:
        parse_file(path)
    message = str(error.value)
    assert "budget.xls" in message and "'.xls'" in message
    assert all(suffix in message for suffix in PARSERS)


def test_file_without_suffix_is_refused(tmp_path):
    path = tmp_path / "README"
    path.write_text("说明", encoding="utf-8")
    with pytest.raises(ParseError, match="no suffix"):
        parse_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(ParseError, match=r"missing\.pdf: file not found"):
        parse_file(tmp_path / "missing.pdf")


def test_directory_with_a_supported_suffix(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(ParseError, match="not a regular file"):
        parse_file(folder)


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = samples.write_gbk_text(tmp_path / "big.txt")
    size = path.stat().st_size
    with pytest.raises(ParseError) as error:
        parse_file(path, max_bytes=100)
    assert f"{size:,} bytes" in str(error.value) and "limit is 100 bytes" in str(error.value)
    assert parse_file(path, max_bytes=size).text == samples.GBK_TEXT  # exactly at the limit is fine


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(ParseError, match=r"empty\.pdf: file is empty \(0 bytes\)"):
        parse_file(path)


def test_whitespace_only_text(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\u3000\n\t\n", encoding="utf-8")
    with pytest.raises(ParseError, match="no text found"):
        parse_file(path)


def test_a_library_crash_becomes_a_parse_error(tmp_path, monkeypatch):
    def crashing_parser(path: Path) -> Document:
        raise RuntimeError("unexpected token at offset 42")

    monkeypatch.setitem(PARSERS, ".txt", crashing_parser)
    path = tmp_path / "notice.txt"
    path.write_text("内容", encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert "notice.txt" in str(error.value) and "corrupt" in str(error.value)
    assert "RuntimeError: unexpected token at offset 42" in str(error.value)


def test_sample_folder_has_one_good_file_per_type_and_two_bad_ones(tmp_path):
    files = samples.build_sample_folder(tmp_path / "samples")
    kinds = {key: parse_file(files[key]).kind for key in ("pdf", "docx", "html", "gbk_text", "markdown")}
    assert kinds == {"pdf": "pdf", "docx": "docx", "html": "html", "gbk_text": "text", "markdown": "markdown"}
    for key in ("corrupt_pdf", "empty"):
        with pytest.raises(ParseError):
            parse_file(files[key])


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_text_round_trips_through_the_cjk_font(tmp_path):
    path = samples.write_pdf(tmp_path / "rules.pdf", samples.PDF_PAGES, title=samples.PDF_TITLE)
    doc = parse_pdf(path)
    written = "".join(line for page in samples.PDF_PAGES for line in page)
    assert doc.text.replace("\n", "") == written  # only line breaks (wrapping, pages) are added
    assert doc.kind == "pdf" and doc.source == str(path) and doc.id == document_id(doc.text)


def test_pdf_pages_map_offsets_to_page_numbers(tmp_path):
    doc = parse_pdf(samples.write_pdf(tmp_path / "rules.pdf", samples.PDF_PAGES))
    assert [page.number for page in doc.pages] == [1, 2]
    first, second = (doc.text[page.start : page.end] for page in doc.pages)
    assert first.startswith(samples.PDF_TITLE) and "第四条" in first and "第五条" not in first
    assert second.startswith("第二章 管理与维护") and second.endswith("第八条 本办法自发布之日起施行。")
    assert "第一条" not in second
    assert doc.pages[1].start == doc.pages[0].end + 1  # pages are joined with one "\n"
    assert doc.page_at(doc.text.index("第三条")) == 1
    assert doc.page_at(doc.text.index("第六条")) == 2
    assert doc.page_at(len(doc.text) - 1) == 2


def test_pdf_keeps_characters_outside_the_bmp(tmp_path):
    line = "地名生僻字：㐀 𠀀 与 龘，应当按照国家标准录入。"
    assert parse_pdf(samples.write_pdf(tmp_path / "rare.pdf", [[line]])).text == line


def test_pdf_title_from_metadata(tmp_path):
    doc = parse_pdf(samples.write_pdf(tmp_path / "a.pdf", samples.PDF_PAGES, title="元数据中的标题"))
    assert doc.title == "元数据中的标题"


def test_pdf_title_from_a_short_first_line_when_metadata_has_none(tmp_path):
    # reportlab writes the placeholder title "untitled", which does not count.
    doc = parse_pdf(samples.write_pdf(tmp_path / "a.pdf", samples.PDF_PAGES))
    assert doc.title == samples.PDF_TITLE


def test_pdf_title_falls_back_to_the_file_stem(tmp_path):
    pages = [["本通知自印发之日起施行，请各单位认真遵照执行。", "其他内容，用于凑足字数。"]]
    assert parse_pdf(samples.write_pdf(tmp_path / "notice_2024.pdf", pages)).title == "notice_2024"


def test_pdf_letter_spaced_chinese_is_joined(tmp_path):
    pages = [["关 于 印 发 管 理 办 法 的 通 知", "第一章 总则", "第一条 为规范管理，制定本办法。"]]
    doc = parse_pdf(samples.write_pdf(tmp_path / "spaced.pdf", pages))
    assert lines_of(doc) == ["关于印发管理办法的通知", "第一章 总则", "第一条 为规范管理，制定本办法。"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("第 一 条 为 规 范 管 理 ， 制 定 本 办 法 。", "第一条为规范管理，制定本办法。"),
        ("第一章 总则", "第一章 总则"),  # a separator between touching words stays
        ("“ 立 柱 架 梁 ”", "“立柱架梁”"),
        ("Article 1 applies to all units", "Article 1 applies to all units"),
        ("2024 年 3 月 1 日", "2024 年 3 月 1 日"),  # no CJK pair around the spaces
        ("\n\n第一条 内容。   \n第二条 内容。\n\n", "第一条 内容。\n第二条 内容。"),
        ("\u3000\u3000第一条 首行缩进保留。", "\u3000\u3000第一条 首行缩进保留。"),
    ],
)
def test_normalize_page_text(raw, expected):
    assert normalize_page_text(raw) == expected


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path):
    doc = parse_pdf(samples.write_encrypted_pdf(tmp_path / "owner_only.pdf", user_password=""))
    assert "第八条 本办法自发布之日起施行。" in doc.text and len(doc.pages) == 2
    assert doc.title == samples.PDF_TITLE


def test_pdf_encrypted_with_a_password_is_refused(tmp_path):
    path = samples.write_encrypted_pdf(tmp_path / "locked.pdf", user_password="s3cret")
    with pytest.raises(ParseError, match=r"locked\.pdf: encrypted PDF; it needs a password"):
        parse_file(path)


def test_scanned_pdf_has_no_text_layer(tmp_path):
    path = samples.write_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert "no text layer" in str(error.value) and "OCR" in str(error.value)


def test_pdf_with_only_page_numbers_counts_as_scanned(tmp_path):
    path = samples.write_pdf(tmp_path / "numbers.pdf", [["- 1 -"], ["- 2 -"]])
    with pytest.raises(ParseError, match="no text layer"):
        parse_pdf(path)


@pytest.mark.parametrize("kind", ["truncated", "garbage"])
def test_corrupt_pdf(tmp_path, kind):
    path = samples.write_corrupt_pdf(tmp_path / f"{kind}.pdf", kind)
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert f"{kind}.pdf" in str(error.value) and "corrupt" in str(error.value)


# --- DOCX --------------------------------------------------------------------------------------


@pytest.fixture
def plan_docx(tmp_path) -> Document:
    return parse_docx(samples.write_docx(tmp_path / "plan.docx", samples.DOCX_BLOCKS))


def test_docx_headings_and_levels(plan_docx):
    assert headings_of(plan_docx) == [
        (samples.DOCX_TITLE, 1),  # Word's "Title" style
        ("一、总体要求", 1),  # "Heading 1"
        ("改造内容分类", 2),  # a style named "标题 2"
        ("二、主要任务", 1),
    ]


def test_docx_keeps_document_order_with_table_rows_as_lines(plan_docx):
    assert lines_of(plan_docx) == [
        samples.DOCX_TITLE,
        "为改善居民居住条件，推动城市更新，制定本方案。",
        "一、总体要求",
        "（一）指导思想。坚持以人民为中心，统筹推进老旧小区改造。",
        "（二）工作目标。到2027年底，基本完成2000年以前建成的老旧小区改造任务。",
        "改造内容分类",
        "单元 | 类别 | 牵头部门",
        "基础设施 | 必改类 | 市住房城乡建设局",
        "公共空间 | 提升类 | 市自然资源局",
        "便民服务 | 完善类 | 市商务局",
        "二、主要任务",
        "1. 摸清底数，建立改造项目库。",  # Word's "List Number" style: its label as Word draws it
        "2. 完善水电气路等基础设施。",
        "各区应当于每年3月底前报送年度改造计划。",
    ]
    assert plan_docx.kind == "docx" and plan_docx.pages == ()


def test_docx_merged_cells_appear_once(tmp_path):
    rows = [["事项", "分类", None, "备注"], ["供水", "必改类", "管网", "无"]]
    doc = parse_docx(samples.write_docx(tmp_path / "merged.docx", [("table", rows)]))
    assert lines_of(doc) == ["事项 | 分类 | 备注", "供水 | 必改类 | 管网 | 无"]


def test_docx_title_prefers_core_properties(tmp_path):
    path = samples.write_docx(tmp_path / "plan.docx", samples.DOCX_BLOCKS, title="文档属性中的标题")
    assert parse_docx(path).title == "文档属性中的标题"


def test_docx_title_falls_back_to_first_heading_then_stem(tmp_path):
    blocks = [("paragraph", "前言段落。"), ("heading", 2, "二级标题在前"), ("heading", 1, "一级标题")]
    assert parse_docx(samples.write_docx(tmp_path / "a.docx", blocks)).title == "二级标题在前"
    plain = samples.write_docx(tmp_path / "no_headings.docx", [("paragraph", "只有正文。")])
    assert parse_docx(plain).title == "no_headings"


def test_docx_that_is_not_a_zip(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("这不是一个Word文件", encoding="utf-8")
    with pytest.raises(ParseError, match=r"fake\.docx: not a valid DOCX file"):
        parse_file(path)


def test_old_doc_renamed_to_docx_gets_a_hint(tmp_path):
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(ParseError, match=r"not a valid DOCX file \(it is an old Word \.doc file"):
        parse_file(path)


# --- HTML --------------------------------------------------------------------------------------


def test_html_keeps_the_article_and_drops_page_furniture(tmp_path):
    doc = parse_html(samples.write_html(tmp_path / "notice.html"))
    for furniture in [
        *samples.HTML_NAV,
        samples.HTML_HEADER,
        samples.HTML_FOOTER,
        samples.HTML_SCRIPT,
        "tracker",
    ]:
        assert furniture not in doc.text
    assert "养护单位应当每日开展绿地巡查，发现树木倒伏、病虫害等情况及时处置，并做好巡查记录。" in lines_of(
        doc
    )
    assert "公园绿地 | 每日一次 | 公园管理单位" in lines_of(doc)
    assert doc.kind == "html" and doc.title == samples.HTML_TITLE


def test_html_headings_point_at_their_lines(tmp_path):
    doc = parse_html(samples.write_html(tmp_path / "notice.htm"))
    assert headings_of(doc) == [
        (samples.HTML_TITLE, 1),
        ("一、明确养护责任", 2),
        ("二、加强日常巡查", 2),
        ("三、强化监督考核", 2),
    ]
    for heading in doc.headings:  # each span is a whole line
        assert heading.start == 0 or doc.text[heading.start - 1] == "\n"
        assert heading.end == len(doc.text) or doc.text[heading.end] == "\n"


def test_html_in_gbk_decodes(tmp_path):
    doc = parse_file(samples.write_html(tmp_path / "gbk.html", encoding="gbk"))
    assert doc.title == samples.HTML_TITLE and "市园林绿化局将养护管理情况纳入年度考核" in doc.text


def test_html_labelled_gb2312_decodes_as_gb18030(tmp_path):
    article = (
        "<h1>生僻字说明</h1><p>" + "地名中的㐀字和𠀀字应当按照国家标准录入，不得以同音字代替。" * 3 + "</p>"
    )
    path = samples.write_html(tmp_path / "rare.html", article=article, encoding="gb18030", declared="gb2312")
    assert "地名中的㐀字和𠀀字应当按照国家标准录入" in parse_html(path).text


def test_html_mislabelled_utf8_still_decodes(tmp_path):
    path = samples.write_html(tmp_path / "mislabelled.html", encoding="utf-8", declared="gbk")
    assert "各区园林绿化主管部门，各有关单位：" in parse_html(path).text


def test_html_falls_back_to_the_body_when_trafilatura_finds_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("ingest.parsers.html.trafilatura.extract", lambda *args, **kwargs: None)
    doc = parse_html(samples.write_html(tmp_path / "notice.html"))
    assert "二、加强日常巡查" in lines_of(doc)
    assert "绿地类型 巡查频次 责任主体" in lines_of(doc)
    for furniture in [*samples.HTML_NAV, samples.HTML_HEADER, samples.HTML_FOOTER, samples.HTML_SCRIPT]:
        assert furniture not in doc.text
    assert doc.headings == ()


def test_html_without_text_is_refused(tmp_path):
    path = tmp_path / "blank.html"
    path.write_text("<html><head><title>空页面</title></head><body><script>x()</script></body></html>")
    with pytest.raises(ParseError, match="no text found"):
        parse_file(path)


# --- plain text and Markdown -------------------------------------------------------------------


def test_gbk_text_decodes_with_crlf_normalised(tmp_path):
    doc = parse_text(samples.write_gbk_text(tmp_path / "rules.txt"))
    assert doc.text == samples.GBK_TEXT
    assert doc.kind == "text" and doc.title == samples.GBK_TITLE and doc.headings == ()


def test_gb18030_text_keeps_characters_gbk_lacks(tmp_path):
    text = "第一条 生僻字㐀和𠀀应当正确显示，不得替换为问号。\n第二条 其余内容照常。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")  # the point of the test: GBK cannot hold them
    doc = parse_text(samples.write_gbk_text(tmp_path / "rare.txt", text, encoding="gb18030"))
    assert doc.text == text


def test_very_short_gbk_text_prefers_gb18030_over_equally_likely_codecs(tmp_path):
    path = tmp_path / "short.txt"
    path.write_bytes("总则".encode("gbk"))  # fits big5 and cp949 just as well
    assert parse_text(path).text == "总则"


def test_big5_text_is_still_read_as_big5(tmp_path):
    text = "第一條 為規範本市公共資料管理，促進資料共享開放，根據有關法律法規，制定本辦法。\n第二條 本辦法適用於本市。\n"
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    assert parse_text(path).text == text


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (b"", "utf-16-le"),
        (b"", "utf-16-be"),
    ],
)
def test_unicode_text_with_and_without_bom(tmp_path, bom, encoding):
    text = "示范市政务公开目录\r\n第一条 政务公开坚持以公开为常态、不公开为例外。\r\n第二条 本目录每年更新1次。\r\n"
    path = tmp_path / "catalogue.txt"
    path.write_bytes(bom + text.encode(encoding))
    doc = parse_text(path)
    assert doc.text == text.replace("\r\n", "\n")  # no BOM character left at the start
    assert doc.title == "示范市政务公开目录"


def test_old_mac_line_endings(tmp_path):
    path = tmp_path / "mac.txt"
    path.write_bytes("标题\r第一行\r第二行".encode())
    assert parse_text(path).text == "标题\n第一行\n第二行"


def test_seed_article_decodes_exactly():
    doc = parse_file(SEED)
    expected = SEED.read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert doc.text == expected
    assert doc.id == document_id(expected) and doc.kind == "text"
    assert doc.title == "我市率先实施清廉建设标准化,为清廉建设提供衡阳经验、衡阳标准——从“立柱架梁”向精雕细琢"


def test_binary_data_in_a_txt_file_is_refused(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ParseError, match=r"data\.txt: cannot detect the text encoding"):
        parse_file(path)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("\n\n  示范市年度工作要点  \n正文。", "示范市年度工作要点"),
        ("本规定自发布之日起施行。\n第二行", "notes"),  # a sentence, not a title
        ("这是一段很长的正文开头" * 7 + "\n第二行", "notes"),  # longer than 60 characters
        ("---\n标题行", "notes"),  # no word in the first line
    ],
)
def test_plain_text_title(tmp_path, text, title):
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    assert parse_text(path).title == title


def test_markdown_headings_title_and_unchanged_text(tmp_path):
    path = tmp_path / "rules.md"
    path.write_text(samples.MARKDOWN_TEXT, encoding="utf-8")
    doc = parse_text(path)
    assert doc.kind == "markdown" and doc.text == samples.MARKDOWN_TEXT
    assert doc.title == samples.MARKDOWN_TITLE
    assert headings_of(doc) == [
        (f"# {samples.MARKDOWN_TITLE}", 1),
        ("## 一、开放时间", 2),
        ("## 二、借阅服务", 2),
        ("### （一）逾期处理", 3),
    ]


def test_markdown_ignores_hashes_in_code_and_without_a_space(tmp_path):
    text = "前言段落。\n\n```\n# 代码中的注释\n```\n\n#没有空格不是标题\n\n## 真正的标题 ##\n"
    path = tmp_path / "notes.markdown"
    path.write_text(text, encoding="utf-8")
    doc = parse_text(path)
    assert headings_of(doc) == [("## 真正的标题 ##", 2)]
    assert doc.title == "真正的标题"


def test_markdown_html_comments_are_not_text(tmp_path):
    """A rendered Markdown page does not show <!-- comments --> (LawRefBook ends its header with one)."""
    path = tmp_path / "law.md"
    path.write_text("# 某某法\n\n2020年通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范，制定本法。\n", encoding="utf-8")
    doc = parse_text(path)
    assert "INFO END" not in doc.text and "<!--" not in doc.text
    assert [line for line in doc.text.split("\n") if line] == ["# 某某法", "2020年通过", "## 第一章 总则", "第一条 为了规范，制定本法。"]


def test_markdown_site_source_reads_as_the_rendered_page(tmp_path):
    """Front matter, raw HTML, entities, attribute lists and ::: containers (VuePress-style sites)."""
    path = tmp_path / "rules.md"
    path.write_text(
        "---\ntitle: 示范管理办法\ndate: 2022-07-01\ntags:\n  - 规章\n---\n\n"
        "::: tip 修订信息\n\n（2022年4月6日示范部令第26号公布&emsp;自2022年7月1日起施行）\n\n:::\n\n"
        "## 第一章&emsp;总&emsp;则{align=\"center\"}\n\n"
        '<p id="t">&emsp;&emsp;<b>第一条</b>&emsp;为了示范，制定本办法。<br>\n第二款内容。</p>\n'
        "根据《关于修改<示范法>的决定》执行 &lt;附件&gt;\n",
        encoding="utf-8",
    )
    doc = parse_text(path)
    lines = [line.strip() for line in doc.text.split("\n") if line.strip()]
    assert doc.title == "示范管理办法"  # the front matter's title: the page has no level-1 heading
    assert lines == [
        "修订信息",
        "（2022年4月6日示范部令第26号公布\u2003自2022年7月1日起施行）",
        "## 第一章\u2003总\u2003则",
        "第一条\u2003为了示范，制定本办法。",
        "第二款内容。",
        "根据《关于修改<示范法>的决定》执行 <附件>",  # <示范法> is a title mark, not a tag
    ]
    official = parse_file(path).official  # parse_file reads the official fields of every parser's text
    assert (official.doc_number, official.effective) == ("示范部令第26号", "2022-07-01")


def test_text_files_lose_invisible_characters_and_radical_code_points(tmp_path):
    path = tmp_path / "law.txt"
    path.write_text("第⼀条\u200b 为了保护劳动者的合法权益，制定本法。", encoding="utf-8")
    assert parse_text(path).text == "第一条 为了保护劳动者的合法权益，制定本法。"


def test_a_kicker_line_ending_in_a_dash_is_joined_with_the_headline():
    from ingest.parsers.text import first_line_title

    assert first_line_title("\n引题一句——\n\n主标题\n\n正文第一段很长。") == "引题一句——主标题"
    assert first_line_title("引题一句——\n这是一个句子。") == "引题一句"  # no headline follows
    assert first_line_title("普通标题\n正文。") == "普通标题"
    assert first_line_title("这是一个句子。\n标题") is None
