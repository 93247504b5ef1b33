"""Web pages as a reader sees them: the article's own title and text, none of the site around it.

Every page is written by tests/samples.py (`write_gov_page`): a city portal built from plain
<div>s, the way government sites are, so no <header>/<nav>/<footer> tag tells the parser what
the furniture is.
"""

from __future__ import annotations

import pytest

from ingest.parsers import parse_file
from ingest.parsers.html import parse_html
from ingest.types import Document, ParseError
from tests import samples

NOTICES = [f"关于示范市第{number}批公共服务事项目录调整的通知" for number in range(1, 21)]


def headings_of(doc: Document) -> list[tuple[str, int]]:
    return [(doc.text[h.start : h.end], h.level) for h in doc.headings]


def lines_of(doc: Document) -> list[str]:
    return doc.text.split("\n")


# --- a normal article ---------------------------------------------------------------------------


def test_an_article_is_kept_whole_and_nothing_else(tmp_path):
    doc = parse_html(samples.write_gov_page(tmp_path / "notice.html"))
    assert lines_of(doc) == samples.gov_article_lines()
    assert doc.title == samples.GOV_TITLE
    assert headings_of(doc) == [
        (samples.GOV_TITLE, 1),
        ("一、建设范围", 2),
        ("二、维护要求", 2),
        ("三、监督检查", 2),
    ]


def test_a_short_notice_does_not_pull_in_the_footer(tmp_path):
    """Under 250 characters trafilatura would add every paragraph of the page (the footer too)."""
    blocks = [
        ("p", "各区人民政府，市政府各部门："),
        ("p", "经研究，本市公共场所无障碍设施检查工作自2025年4月1日起开展，各区应当于3月20日前报送检查计划。"),
        ("p", "检查发现的问题，由设施所有权人或者管理人在三十日内整改完毕，整改情况报市住房城乡建设局备案。"),
        ("p", "特此通知。"),
    ]
    path = samples.write_gov_page(tmp_path / "short.html", samples.gov_article_html(blocks=blocks))
    assert lines_of(parse_html(path)) == samples.gov_article_lines(blocks=blocks)


def test_table_cells_styled_overflow_hidden_keep_their_text(tmp_path):
    """Word-pasted tables style every cell "overflow: hidden"; that is not a hidden element."""
    cell = '<td style="border: 1px solid; overflow: hidden; word-break: break-all;"><p>{}</p></td>'
    rows = [["序号", "街道", "电话"], ["1", "示范街", "12345678"], ["2", "样板街", "87654321"]]
    table = "".join("<tr>" + "".join(cell.format(text) for text in row) + "</tr>" for row in rows)
    article = samples.gov_article_html() + f"<h2>四、咨询电话</h2><table><tbody>{table}</tbody></table>"
    doc = parse_html(samples.write_gov_page(tmp_path / "cells.html", article))
    assert lines_of(doc)[-3:] == ["序号 | 街道 | 电话", "1 | 示范街 | 12345678", "2 | 样板街 | 87654321"]


def test_text_goes_through_clean_text(tmp_path):
    # a Kangxi radical (U+2F00) for 一 and a zero-width space, as pages copied from PDFs carry them
    blocks = [("p", "第\u2f00条 无障碍\u200b设施应当保持完好。" * 3)]
    path = samples.write_gov_page(tmp_path / "radicals.html", samples.gov_article_html(blocks=blocks))
    doc = parse_html(path)
    assert lines_of(doc)[1] == "第一条 无障碍设施应当保持完好。" * 3


# --- the title -----------------------------------------------------------------------------------


def test_title_is_the_articles_heading_not_the_site_title(tmp_path):
    page_title = f"{samples.GOV_TITLE}_{samples.GOV_SITE}"
    path = samples.write_gov_page(tmp_path / "notice.html", page_title=page_title)
    doc = parse_html(path)
    assert doc.title == samples.GOV_TITLE


def test_title_skips_a_site_heading_above_the_article(tmp_path):
    path = samples.write_gov_page(
        tmp_path / "open.html", banner="<h1>示范市卫生健康委员会政府信息公开</h1>", page_title=samples.GOV_TITLE
    )
    doc = parse_html(path)
    assert doc.title == samples.GOV_TITLE
    assert "示范市卫生健康委员会政府信息公开" not in doc.text


def test_title_is_the_heading_when_the_title_tag_names_only_the_column(tmp_path):
    path = samples.write_gov_page(tmp_path / "column.html", page_title=f"通知公告 - {samples.GOV_SITE}")
    doc = parse_html(path)
    assert doc.title == samples.GOV_TITLE


def test_title_tag_alone_loses_the_site_name_even_when_that_is_longer(tmp_path):
    title = "创业补贴常见问题"
    article = f'<div class="title">{title}</div>' + samples.gov_article_html(title=None)
    for page_title in (f"{title}-示范市人力资源和社会保障局网站", f"示范市人力资源和社会保障局网站 | {title}"):
        doc = parse_html(samples.write_gov_page(tmp_path / "faq.html", article, page_title=page_title))
        assert doc.title == title, page_title


def test_title_from_the_article_title_meta_tag(tmp_path):
    head = (
        f'<meta name="SiteName" content="{samples.GOV_SITE}">'
        f'<meta name="ArticleTitle" content="{samples.GOV_TITLE}">'
    )
    path = samples.write_gov_page(
        tmp_path / "meta.html", samples.gov_article_html(title=None), page_title=samples.GOV_SITE, head=head
    )
    doc = parse_html(path)
    assert doc.title == samples.GOV_TITLE
    assert lines_of(doc)[0] == samples.GOV_TITLE and headings_of(doc)[0] == (samples.GOV_TITLE, 1)


# --- boilerplate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [False, True], ids=["list", "row"])
def test_department_directories_stay_out_even_beside_the_article(tmp_path, row):
    doc = parse_html(samples.write_gov_page(tmp_path / "notice.html", after=samples.gov_directory_html(row)))
    assert lines_of(doc) == samples.gov_article_lines()


def test_footer_department_directory_and_copyright_stay_out(tmp_path):
    # a short article: trafilatura then also reads the rest of the page, footer included
    blocks = samples.GOV_ARTICLE[:4]
    path = samples.write_gov_page(tmp_path / "notice.html", samples.gov_article_html(blocks=blocks))
    doc = parse_html(path)
    assert lines_of(doc) == samples.gov_article_lines(blocks=blocks)
    assert "·" not in doc.text and not any(furniture in doc.text for furniture in samples.GOV_COPYRIGHT)


def test_share_buttons_breadcrumb_font_size_print_and_menu_stay_out(tmp_path):
    doc = parse_html(samples.write_gov_page(tmp_path / "notice.html"))
    for furniture in ["分享到", "微信", "微博", "当前位置", "首页", "通知公告", "字号", "打印", "关闭", "搜索"]:
        assert furniture not in doc.text
    for item in samples.HTML_NAV:
        assert item not in doc.text
    assert lines_of(doc)[0] == samples.GOV_TITLE


def test_toggles_footnote_marks_and_icon_rows_stay_out(tmp_path):
    after = (
        '<p>本通知由市住房城乡建设局负责解释<sup><a href="#note1">[1]</a></sup>。'
        '<a href="javascript:void(0)" class="toggle">展开</a></p>'
        '<p id="note1">注：本通知所称公共场所，包括商场、车站、医院和公园。</p>'
        '<div class="icons">分享：<a href="https://share.example.com/?to=wx"><img src="wx.png"></a>'
        '<a href="https://share.example.com/?to=wb"><img src="wb.png"></a></div>'
        '<a href="#top">返回顶部</a>'
    )
    doc = parse_html(samples.write_gov_page(tmp_path / "notes.html", after=after))
    assert lines_of(doc)[-2:] == ["本通知由市住房城乡建设局负责解释。", "注：本通知所称公共场所，包括商场、车站、医院和公园。"]
    for furniture in ["[1]", "展开", "分享", "返回顶部"]:
        assert furniture not in doc.text


def test_markdown_characters_come_out_plain(tmp_path):
    """trafilatura's Markdown escapes these (`\\[`, `\\*`, `\\_`, `\\#`, `1\\.`); the page never had them."""
    plain = [
        "第[1]项和第[2]项按原标准执行。",
        "补贴金额=月工资*50%，按月发放。",
        "申请表文件名为apply_form_2025.docx。",
        "#1号楼和#2号楼为公共租赁住房。",
        "1. 提交申请材料。",
        "* 号标注的为必填项。",
        "路径为 C:\\政务\\文件，不含引号。",
    ]
    blocks = [("p", line) for line in plain]
    doc = parse_html(samples.write_gov_page(tmp_path / "marks.html", samples.gov_article_html(blocks=blocks)))
    assert lines_of(doc) == [samples.GOV_TITLE, *plain]


def test_hidden_copies_stay_out_but_a_body_hidden_until_scripts_run_is_read(tmp_path):
    after = '<div style="display: none">隐藏的重复正文不应出现。</div><div hidden>另一段隐藏内容。</div>'
    hidden_body = ' style="visibility: hidden"'
    path = samples.write_gov_page(tmp_path / "hidden.html", after=after, body_attributes=hidden_body)
    doc = parse_html(path)
    assert lines_of(doc) == samples.gov_article_lines()


# --- list pages ----------------------------------------------------------------------------------


def test_a_list_page_is_refused(tmp_path):
    path = samples.write_list_page(tmp_path / "column.html", NOTICES)
    message = r"column\.html: a list of links with no body text \(\d+ links\); save the article page itself"
    with pytest.raises(ParseError, match=message):
        parse_file(path)


def test_an_article_with_related_links_is_not_a_list_page(tmp_path):
    items = "".join(f'<li><a href="/p{i}.html">{title}</a></li>' for i, title in enumerate(NOTICES[:8]))
    related = f"<h3>相关文章</h3><ul>{items}</ul>"
    doc = parse_html(samples.write_gov_page(tmp_path / "related.html", after=related))
    assert lines_of(doc)[: len(samples.gov_article_lines())] == samples.gov_article_lines()


def test_attachment_names_are_article_text(tmp_path):
    after = (
        '<p>附件：<a href="/attachment/1/check.docx">1.无障碍设施检查表.docx</a></p>'
        '<p><a href="/attachment/2/list.xlsx?v=2">2.设施台账模板.xlsx</a></p>'
        '<p><a href="/download?id=3" download="plan.pdf">3.整改计划书.pdf</a></p>'
    )
    doc = parse_html(samples.write_gov_page(tmp_path / "attachments.html", after=after))
    assert lines_of(doc)[-3:] == ["附件：1.无障碍设施检查表.docx", "2.设施台账模板.xlsx", "3.整改计划书.pdf"]
