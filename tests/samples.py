"""Write real sample files (PDF, DOCX, HTML, GBK text, Markdown, broken ones) for the tests.

Every text here is fictional, written for these tests in the style of Chinese policy
documents ("示范市" is not a real city). Files are only ever written under the directory the
caller passes, which in tests is a pytest temp dir.

PDF font: reportlab's built-in CID font STSong-Light (Adobe-GB1, UniGB-UCS2-H encoding)
needs no font file, and pypdf 7 maps it back to Unicode correctly, including characters
outside the BMP such as 𠀀; tests/ingest/test_parsers.py checks the round trip.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK_FONT = "STSong-Light"
FONT_SIZE = 12
LINE_HEIGHT = 20
MARGIN = 72

# --- sample content -------------------------------------------------------------------------

PDF_TITLE = "示范市社区公共服务设施管理办法"
PDF_PAGES: list[list[str]] = [
    [
        PDF_TITLE,
        "第一章 总则",
        "第一条 为了规范社区公共服务设施的建设、使用和管理，提升社区服务水平，结合本市实际，制定本办法。",
        "第二条 本办法所称社区公共服务设施，是指为社区居民提供文化、养老、托育和便民服务的场所。",
        "第三条 社区公共服务设施坚持政府主导、社会参与、便民利民、规范管理的原则。",
        "第四条 市民政部门负责全市社区公共服务设施的统筹管理工作。",
    ],
    [
        "第二章 管理与维护",
        "第五条 街道办事处应当建立设施台账，每季度开展一次安全检查。",
        "第六条 设施管理单位应当公示开放时间、服务项目和投诉电话。",
        "第七条 任何单位和个人不得擅自改变社区公共服务设施的用途。",
        "第八条 本办法自发布之日起施行。",
    ],
]

DOCX_TITLE = "示范市老旧小区改造工作实施方案"
DOCX_TABLE = [
    ["单元", "类别", "牵头部门"],
    ["基础设施", "必改类", "市住房城乡建设局"],
    ["公共空间", "提升类", "市自然资源局"],
    ["便民服务", "完善类", "市商务局"],
]
DOCX_BLOCKS: list[tuple] = [
    ("heading", 0, DOCX_TITLE),
    ("paragraph", "为改善居民居住条件，推动城市更新，制定本方案。"),
    ("heading", 1, "一、总体要求"),
    ("paragraph", "（一）指导思想。坚持以人民为中心，统筹推进老旧小区改造。"),
    ("paragraph", "（二）工作目标。到2027年底，基本完成2000年以前建成的老旧小区改造任务。"),
    ("styled", "标题 2", "改造内容分类"),
    ("table", DOCX_TABLE),
    ("heading", 1, "二、主要任务"),
    ("numbered", "摸清底数，建立改造项目库。"),
    ("numbered", "完善水电气路等基础设施。"),
    ("paragraph", "各区应当于每年3月底前报送年度改造计划。"),
]

HTML_TITLE = "关于做好示范市城市绿地养护管理工作的通知"
HTML_ARTICLE = f"""
<h1>{HTML_TITLE}</h1>
<p>各区园林绿化主管部门，各有关单位：</p>
<p>为进一步提升城市绿地养护管理水平，改善城市人居环境，现就有关事项通知如下。</p>
<h2>一、明确养护责任</h2>
<p>各区应当按照属地管理原则，落实公园绿地、道路绿地和附属绿地的养护责任单位，建立养护责任清单。</p>
<h2>二、加强日常巡查</h2>
<p>养护单位应当每日开展绿地巡查，发现树木倒伏、病虫害等情况及时处置，并做好巡查记录。</p>
<table>
<tr><th>绿地类型</th><th>巡查频次</th><th>责任主体</th></tr>
<tr><td>公园绿地</td><td>每日一次</td><td>公园管理单位</td></tr>
<tr><td>道路绿地</td><td>每周两次</td><td>区园林绿化部门</td></tr>
</table>
<h2>三、强化监督考核</h2>
<p>市园林绿化局将养护管理情况纳入年度考核，考核结果向社会公开。</p>
"""
# Page furniture around the article; none of it may reach a parsed Document.
HTML_NAV = ["网站首页", "政务公开", "办事服务", "互动交流"]
HTML_HEADER = "示范市园林绿化局门户网站"
HTML_FOOTER = "主办单位：示范市园林绿化局 网站标识码：0000000000"
HTML_SCRIPT = "统计脚本不应出现在正文"

GBK_TITLE = "示范市生活垃圾分类工作考核细则"
GBK_TEXT = (
    f"{GBK_TITLE}\n"
    "\n"
    "第一条 为推进生活垃圾分类工作，建立科学的考核机制，制定本细则。\n"
    "第二条 考核对象为各区人民政府和市直有关部门。\n"
    "第三条 考核内容包括分类投放、分类收集、分类运输和分类处理四个环节。\n"
    "第四条 考核结果分为优秀、良好、合格和不合格四个等次。\n"
)

MARKDOWN_TITLE = "示范市公共图书馆服务规范"
MARKDOWN_TEXT = (
    f"# {MARKDOWN_TITLE}\n"
    "\n"
    "## 一、开放时间\n"
    "\n"
    "公共图书馆每周开放时间不少于56小时，法定节假日应当正常开放。\n"
    "\n"
    "## 二、借阅服务\n"
    "\n"
    "读者凭社会保障卡或电子证照即可办理借阅，每证可借图书10册。\n"
    "\n"
    "### （一）逾期处理\n"
    "\n"
    "图书逾期未还的，暂停借阅权限，归还后自动恢复。\n"
)


# --- writers --------------------------------------------------------------------------------


def pdf_bytes(pages: Sequence[Sequence[str]], title: str | None = None) -> bytes:
    """A text PDF with one page per entry of `pages`; long lines wrap at the margin like real PDFs."""
    _register_cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title is not None:
        pdf.setTitle(title)
    width, height = A4
    for lines in pages:
        pdf.setFont(CJK_FONT, FONT_SIZE)
        y = height - MARGIN
        for line in lines:
            for piece in _wrap(line, width - 2 * MARGIN):
                pdf.drawString(MARGIN, y, piece)
                y -= LINE_HEIGHT
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_pdf(path: Path, pages: Sequence[Sequence[str]], title: str | None = None) -> Path:
    """Write `pdf_bytes(pages, title)` to `path`."""
    path.write_bytes(pdf_bytes(pages, title))
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF whose pages hold only drawn shapes (a stand-in for scanned images), no text at all."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for _ in range(pages):
        pdf.setFillGray(0.85)
        pdf.rect(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN, fill=1)
        pdf.setStrokeGray(0.2)
        for row in range(30):
            y = height - MARGIN - 20 - row * LINE_HEIGHT
            pdf.line(MARGIN + 10, y, width - MARGIN - 10 - (row % 4) * 40, y)
        pdf.circle(width - 150, 150, 50)  # a "seal"
        pdf.showPage()
    pdf.save()
    return path


def write_encrypted_pdf(
    path: Path,
    user_password: str,
    owner_password: str = "owner-secret",
    pages: Sequence[Sequence[str]] = PDF_PAGES,
) -> Path:
    """A text PDF encrypted with RC4-128 (pypdf needs no extra package for RC4, unlike AES).

    With an empty user password anyone can open it (only the owner rights are protected).
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages, title=PDF_TITLE))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_corrupt_pdf(path: Path, kind: str = "truncated") -> Path:
    """A broken PDF: "truncated" keeps the first half of a valid one, "garbage" is noise after a header."""
    if kind == "truncated":
        data = pdf_bytes(PDF_PAGES, title=PDF_TITLE)
        path.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 16 + b"\n%%EOF\n")
    else:
        raise ValueError(f"unknown corrupt PDF kind {kind!r}; use 'truncated' or 'garbage'")
    return path


def write_docx(path: Path, blocks: Sequence[tuple], title: str | None = None) -> Path:
    """A DOCX from blocks, in order.

    ("heading", level, text)   -- Word's "Title" (level 0) or "Heading N" style
    ("styled", style, text)    -- a paragraph in a named style, created if missing (e.g. "标题 2")
    ("paragraph", text)        -- body text
    ("numbered", text)         -- Word auto-numbered list item ("List Number", w:numPr)
    ("table", rows)            -- a grid; a None cell is merged into the cell on its left
    """
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            document.add_heading(block[2], level=block[1])
        elif kind == "styled":
            if block[1] not in [style.name for style in document.styles]:
                document.styles.add_style(block[1], WD_STYLE_TYPE.PARAGRAPH)
            document.add_paragraph(block[2], style=block[1])
        elif kind == "paragraph":
            document.add_paragraph(block[1])
        elif kind == "numbered":
            document.add_paragraph(block[1], style="List Number")
        elif kind == "table":
            _add_table(document, block[1])
        else:
            raise ValueError(f"unknown DOCX block kind {kind!r}")
    document.save(str(path))
    return path


def write_html(
    path: Path,
    title: str = HTML_TITLE,
    article: str = HTML_ARTICLE,
    encoding: str = "utf-8",
    declared: str | None = None,
) -> Path:
    """A government-site style page: header, nav, scripts and footer around an <article>.

    The bytes are in `encoding`; the <meta charset> says `declared` (default: the same).
    """
    nav = "".join(f'<li><a href="/s{i}">{item}</a></li>' for i, item in enumerate(HTML_NAV))
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{declared or encoding}">
<title>{title}_{HTML_HEADER}</title>
<script>var tracker = "{HTML_SCRIPT}";</script>
<style>body {{ font-family: sans-serif; }}</style>
</head>
<body>
<header><div class="logo">{HTML_HEADER}</div></header>
<nav><ul>{nav}</ul></nav>
<article>
{article}
</article>
<footer><p>{HTML_FOOTER}</p></footer>
<script>document.write("{HTML_SCRIPT}");</script>
</body>
</html>
"""
    path.write_bytes(page.encode(encoding))
    return path


def write_gbk_text(path: Path, text: str = GBK_TEXT, encoding: str = "gbk", newline: str = "\r\n") -> Path:
    """Text in a legacy Chinese encoding (GBK by default; "gb18030" for characters GBK lacks), CRLF lines."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def build_sample_folder(folder: Path) -> dict[str, Path]:
    """One good file of each supported type plus a corrupt PDF and an empty file, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / "library_rules.md"
    markdown.write_text(MARKDOWN_TEXT, encoding="utf-8")
    empty = folder / "empty.txt"
    empty.write_bytes(b"")
    return {
        "pdf": write_pdf(folder / "community_facilities.pdf", PDF_PAGES, title=PDF_TITLE),
        "docx": write_docx(folder / "old_housing_plan.docx", DOCX_BLOCKS),
        "html": write_html(folder / "green_space_notice.html"),
        "gbk_text": write_gbk_text(folder / "waste_sorting_gbk.txt"),
        "markdown": markdown,
        "corrupt_pdf": write_corrupt_pdf(folder / "corrupt.pdf"),
        "empty": empty,
    }


# --- helpers --------------------------------------------------------------------------------


def _register_cjk_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _wrap(line: str, max_width: float, size: float = FONT_SIZE) -> list[str]:
    """Cut a line into pieces that fit the text width, character by character (Chinese has no spaces)."""
    pieces: list[str] = []
    current = ""
    for char in line:
        if current and pdfmetrics.stringWidth(current + char, CJK_FONT, size) > max_width:
            pieces.append(current)
            current = ""
        current += char
    pieces.append(current)
    return pieces


def _add_table(document, rows: Sequence[Sequence[str | None]]) -> None:
    table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        anchor = 0
        for c, value in enumerate(row):
            if value is None:
                table.cell(r, anchor).merge(table.cell(r, c))
            else:
                table.cell(r, c).text = value
                anchor = c


SCANNED_LINES = [
    "示范市档案数字化工作规定",
    "第一条 为规范档案数字化工作，制定本规定。",
    "第二条 纸质档案扫描分辨率不低于三百点每英寸。",
    "第三条 数字化成果应当每年备份一次。",
]


def cjk_font_file() -> Path | None:
    """A CJK font file from fontconfig (Debian's fonts-noto-cjk), or None when there is none."""
    import subprocess

    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Regular"],
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(found) if found else None
    return path if path is not None and path.is_file() and "CJK" in path.name else None


def write_image_pdf(path: Path, lines: Sequence[str] = SCANNED_LINES, font_file: Path | None = None) -> Path:
    """A real scan stand-in: the lines drawn into a greyscale image at 150 dpi, saved as a one-page
    PDF holding only that image (no text layer), the way a scanner writes it."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = font_file or cjk_font_file()
    if font_file is None:
        raise ValueError("no CJK font found (install fonts-noto-cjk)")
    width, height = 1240, 120 + 70 * len(lines)  # A4 width at 150 dpi
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_file), 36)
    for number, line in enumerate(lines):
        draw.text((90, 60 + 70 * number), line, fill=0, font=font)
    image.save(path, "PDF", resolution=150)
    return path


def write_numbered_docx(
    path: Path,
    numbering: str,
    blocks: Sequence[tuple],
    styles: str = "",
    numbering_part: bool = True,
) -> Path:
    """A DOCX with real Word automatic numbering, written as WordprocessingML (prefix w:).

    numbering  -- the w:abstractNum and w:num elements of word/numbering.xml (replacing the
                  template's definitions)
    styles     -- w:style elements added to styles.xml (paragraph or numbering styles)
    blocks     -- ("p", text, properties): a paragraph, properties being the inside of its
                  w:pPr, e.g. '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>';
                  ("table", rows): a table whose cells are (text, properties) paragraphs
    numbering_part -- False drops numbering.xml from the package (numbered paragraphs then
                  point at nothing)
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.parser import parse_xml

    w_ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def children(xml: str, root: str) -> list:
        return list(parse_xml(f"<w:{root} {w_ns}>{xml}</w:{root}>"))

    def set_properties(paragraph, properties: str) -> None:
        ppr = paragraph._p.get_or_add_pPr()
        for position, child in enumerate(children(properties, "pPr")):
            ppr.insert(position, child)

    document = docx.Document()
    numbering_root = document.part.numbering_part.element
    for child in list(numbering_root):
        numbering_root.remove(child)
    for child in children(numbering, "numbering"):
        numbering_root.append(child)
    for style in children(styles, "styles"):
        document.styles.element.append(style)
    for block in blocks:
        if block[0] == "p":
            set_properties(document.add_paragraph(block[1]), block[2])
        elif block[0] == "table":
            rows = block[1]
            table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
            for row, cells in zip(table.rows, rows, strict=True):
                for cell, (text, properties) in zip(row.cells, cells, strict=False):
                    cell.paragraphs[0].text = text
                    set_properties(cell.paragraphs[0], properties)
        else:
            raise ValueError(f"unknown numbered DOCX block kind {block[0]!r}")
    if not numbering_part:
        for r_id, rel in list(document.part.rels.items()):
            if rel.reltype == RT.NUMBERING:
                document.part.drop_rel(r_id)
    document.save(str(path))
    return path


# --- government-site pages (tests/ingest/test_html.py) ------------------------------------------

GOV_SITE = "示范市人民政府门户网站"
# A footer directory of department sites as city portals print it: one short name per line,
# most of them links.
GOV_DEPARTMENTS = [
    "市发展改革委", "市教育局", "市科技局", "市工业和信息化局", "市公安局", "市民政局",
    "市司法局", "市财政局", "市人力资源社会保障局", "市生态环境局", "市住房城乡建设局", "市交通运输局",
]  # fmt: skip
GOV_COPYRIGHT = ["版权所有：示范市人民政府办公厅", "网站标识码：0000000000"]
GOV_TITLE = "关于加强公共场所无障碍设施建设和维护的通知"
GOV_ARTICLE: list[tuple] = [
    ("p", "各区人民政府，市政府各部门："),
    ("p", "为做好本市公共场所无障碍设施的建设和维护，方便残疾人、老年人等群体出行，现就有关事项通知如下。"),
    ("h2", "一、建设范围"),
    ("p", "新建、改建和扩建的公共建筑、城市道路和公园绿地，应当同步建设无障碍设施。"),
    ("h2", "二、维护要求"),
    ("p", "设施所有权人或者管理人应当每季度检查一次无障碍设施，发现损坏的及时修复。"),
    ("table", [["设施类型", "检查频次"], ["无障碍坡道", "每季度一次"], ["无障碍卫生间", "每月一次"]]),
    ("h2", "三、监督检查"),
    ("p", "市住房城乡建设局会同市民政局对无障碍设施的建设和维护情况进行监督检查，检查结果向社会公布。"),
]


def gov_article_html(title: str | None = GOV_TITLE, blocks: Sequence[tuple] = GOV_ARTICLE) -> str:
    """An article: an <h1> title (none if `title` is None), then ("h2"|"p", text) and ("table", rows)."""
    parts = [f"<h1>{title}</h1>"] if title is not None else []
    for tag, content in blocks:
        if tag == "table":
            rows = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in content)
            parts.append(f"<table><tbody>{rows}</tbody></table>")
        else:
            parts.append(f"<{tag}>{content}</{tag}>")
    return "\n".join(parts)


def gov_article_lines(title: str | None = GOV_TITLE, blocks: Sequence[tuple] = GOV_ARTICLE) -> list[str]:
    """The lines a reader sees in `gov_article_html(title, blocks)`: table rows as "a | b"."""
    lines = [title] if title is not None else []
    for tag, content in blocks:
        lines.extend(" | ".join(row) for row in content) if tag == "table" else lines.append(content)
    return lines


def gov_directory_html(row: bool = False) -> str:
    """The department directory: "· name" list items, every fifth name not linked (as portals
    print them), or with `row` one paragraph of links ("市发展改革委 市教育局 …")."""
    if row:
        links = " ".join(f'<a href="http://d{i}.gov.example/">{name}</a>' for i, name in enumerate(GOV_DEPARTMENTS))
        return f'<p class="links">{links}</p>'
    items = "".join(
        f"<li><p>· {name}</p></li>"
        if i % 5 == 0
        else f'<li><p><a href="http://d{i}.gov.example/">· {name}</a></p></li>'
        for i, name in enumerate(GOV_DEPARTMENTS)
    )
    return f'<div class="depts"><ul>{items}</ul></div>'


def write_gov_page(
    path: Path,
    article: str | None = None,
    page_title: str = f"{GOV_TITLE}_{GOV_SITE}",
    head: str = "",
    banner: str = f'<img src="/logo.png" alt="{GOV_SITE}">',
    after: str = "",
    body_attributes: str = "",
) -> Path:
    """A city-portal article page built from <div>s only (no <header>, <nav> or <footer> to help).

    Around `article` (default: `gov_article_html()`): the site banner, a search box and menu, a
    breadcrumb, the article's tool bar (date, font size, share buttons), print/close links, a
    copyright footer and, after it, the department directory. `after` goes right after the
    article text, `head` into <head>.
    """
    article = gov_article_html() if article is None else article
    menu = "".join(f'<a href="/col{i}/">{item}</a>' for i, item in enumerate(HTML_NAV))
    copyright = "".join(f"<p>{line}</p>" for line in GOV_COPYRIGHT)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{page_title}</title>
{head}
</head>
<body{body_attributes}>
<div class="top"><div class="logo">{banner}</div>
<div class="search"><form action="/search"><input type="text" name="q">
<button type="submit">搜索</button></form></div></div>
<div class="menu">{menu}</div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>
&gt; <a href="/zwgk/tzgg/">通知公告</a></div>
<div class="main">
<div class="tools">
<span class="date">发布日期：2025-03-01</span>
<span class="size">字号：<a href="javascript:setSize(18)">大</a> <a href="javascript:setSize(16)">中</a>
<a href="javascript:setSize(14)">小</a></span>
<span class="share">分享到：<a href="javascript:void(0)" onclick="share('wechat')">微信</a>
<a href="javascript:void(0)" onclick="share('weibo')">微博</a></span>
</div>
<div class="content">
{article}
{after}
</div>
<div class="actions"><a href="javascript:window.print()">【打印本页】</a>
<a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="bottom"><div class="copyright">{copyright}</div></div>
<div class="listbox">{gov_directory_html()}</div>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def write_list_page(path: Path, titles: Sequence[str]) -> Path:
    """A column index on the same site: one link per article with its date, then page links; no body."""
    items = "".join(
        f'<li><a href="/zwgk/tzgg/post_{i}.html">{title}</a><span>2025-03-{i % 28 + 1:02d}</span></li>'
        for i, title in enumerate(titles)
    )
    pages = '<div class="pages"><a href="?p=1">首页</a> <a href="?p=2">下一页</a> <a href="?p=9">尾页</a> 共9页</div>'
    return write_gov_page(path, f'<h2>通知公告</h2><ul class="list">{items}</ul>{pages}', f"通知公告_{GOV_SITE}")


# --- PDF page layout (running headers, page numbers, overprinted bold, display titles) -------

from dataclasses import dataclass  # noqa: E402 -- kept with the helpers appended below


@dataclass(frozen=True)
class PdfLine:
    """One line drawn by `layout_pdf_bytes`: its text, type size, and how it is set.

    `centred` centres it on the page; `overprint` draws the text a second time that many
    points to the right, the way some producers fake bold (a reader sees it once).
    """

    text: str
    size: float = FONT_SIZE
    centred: bool = False
    overprint: float | None = None


def pdf_line_pieces(text: str, size: float = FONT_SIZE) -> list[str]:
    """`text` cut where `layout_pdf_bytes` wraps it at the right margin."""
    return _wrap(text, A4[0] - 2 * MARGIN, size)


def layout_pdf_bytes(
    pages: Sequence[Sequence[PdfLine | str]],
    header: str | None = None,
    footer: str | None = None,
    title: str | None = None,
    first_page: int = 1,
) -> bytes:
    """A text PDF laid out like a printed document: long lines wrap at the margin, `header` is
    drawn above the text of every page and `footer` below it, with "{page}" replaced by the
    printed page number (e.g. "— {page} —"), which counts from `first_page`."""
    _register_cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title is not None:
        pdf.setTitle(title)
    width, height = A4
    for number, lines in enumerate(pages, start=first_page):
        if header is not None:
            pdf.setFont(CJK_FONT, 9)
            pdf.drawCentredString(width / 2, height - MARGIN / 2, header.format(page=number))
        y = height - MARGIN
        for line in lines:
            line = PdfLine(line) if isinstance(line, str) else line
            pdf.setFont(CJK_FONT, line.size)
            for piece in pdf_line_pieces(line.text, line.size):
                x = MARGIN
                if line.centred:
                    x = (width - pdfmetrics.stringWidth(piece, CJK_FONT, line.size)) / 2
                pdf.drawString(x, y, piece)
                if line.overprint is not None:
                    pdf.drawString(x + line.overprint, y, piece)
                y -= line.size * LINE_HEIGHT / FONT_SIZE
        if footer is not None:
            pdf.setFont(CJK_FONT, 9)
            pdf.drawCentredString(width / 2, MARGIN / 2, footer.format(page=number))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_layout_pdf(path: Path, pages: Sequence[Sequence[PdfLine | str]], **options) -> Path:
    """Write `layout_pdf_bytes(pages, **options)` to `path`."""
    path.write_bytes(layout_pdf_bytes(pages, **options))
    return path


# -- official documents: 文号, issuers, dates and articles (made-up bodies and numbers) ----------------

LAW_ARTICLES = [f"第{numeral}条 {text}" for numeral, text in [
    ("一", "为了规范示范市的劳动用工，制定本法。"),
    ("二", "本法适用于本市行政区域内的用人单位和劳动者。"),
    ("三", "用人单位应当在用工之日起一个月内与劳动者订立书面劳动合同。"),
    ("四", "劳动者有权拒绝违章指挥和强令冒险作业。"),
    ("五", "本法自2020年1月1日起施行。"),
]]
DISCIPLINE_ARTICLES = [
    "第五条 学生有违纪行为的，学校应当给予批评教育，并可视情节给予纪律处分。",
    "第六条 学生纪律处分的种类分为：",
    "（一）警告；", "（二）严重警告；", "（三）记过；", "（四）留校察看；", "（五）开除学籍。",
    "第七条 纪律处分决定应当以书面形式送达学生本人。",
]
RULES_ARTICLES = [f"第{numeral}条 {text}" for numeral, text in [
    ("一", "根据《示范劳动法》，制定本条例。"),
    ("二", "用人单位应当建立职工名册备查。"),
    ("三", "职工名册应当包括劳动者姓名、性别、身份证号码和用工起始时间。"),
    ("四", "本条例自2021年3月1日起施行。"),
]]


def write_official_corpus(folder: Path) -> dict[str, Path]:
    """A law and its implementing rules (article 3 in both, 第三条 and 第3条 style), a school's
    rules with a list article, a notice in force, an expired one and one from another issuing body."""
    folder.mkdir(parents=True, exist_ok=True)
    rules = [line.replace("第三条", "第3条") for line in RULES_ARTICLES]
    files = {
        "law": write_docx(folder / "示范劳动法.docx", [("heading", 0, "示范劳动法"),
                                                       *(("paragraph", line) for line in LAW_ARTICLES)]),
        "rules": write_docx(folder / "示范劳动法实施条例.docx", [("heading", 0, "示范劳动法实施条例"),
                                                              *(("paragraph", line) for line in rules)]),
        "discipline": write_docx(folder / "示范学院学生纪律处分办法.docx", [
            ("heading", 0, "示范学院学生纪律处分办法"), *(("paragraph", line) for line in DISCIPLINE_ARTICLES)]),
    }
    notices = {
        "current": ("示范市人力资源局关于发放见习补贴的通知", "示人社规〔2024〕5号", "示范市人力资源局", "2024年5月6日",
                    "本通知自2024年6月1日起施行，有效期5年。", "见习补贴按每人每月一千元发放。"),
        "expired": ("示范市人力资源局关于发放培训补贴的通知", "示人社规〔2018〕2号", "示范市人力资源局", "2018年2月1日",
                    "本通知自2018年3月1日起施行，有效期3年。", "培训补贴按每人每次五百元发放。"),
        "other": ("示范市教育局关于发放助学补贴的通知", "示教规〔2023〕9号", "示范市教育局", "2023年9月1日",
                  "本通知自2023年9月1日起施行。", "助学补贴按每人每年两千元发放。"),
    }
    for key, (title, number, issuer, day, effective, body) in notices.items():
        lines = [title, number, "各有关单位：", f"为做好补贴工作，现通知如下。{body}", effective, issuer, day]
        files[key] = write_pdf(folder / f"{key}.pdf", [lines])
    return files
