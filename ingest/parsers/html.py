"""HTML pages as a reader sees them: the article's own title and text, not the site around it.

Three steps:

1. **Clear the page of what is never article text**, by structure, not by words: scripts,
   navigation landmarks, the site's header and footer, hidden elements, controls (buttons,
   `javascript:` and `#` links, `on…` handlers: print, close, share, font size, "展开",
   footnote marks), rows of icons, captions left beside them ("分享到："), breadcrumbs
   (short links joined by `>`), and directories (many short links with no sentence between
   them: the department lists of government site footers). Links to attached files
   (`.docx`, `.pdf` …) become plain text: their names are part of the article.
2. **Refuse a list page**: when what is left is mostly link text with no paragraph outside
   the links, the page indexes other articles (ParseError asks for the article page itself).
3. **Find the main text** with trafilatura and read its XML output, which keeps headings
   (Heading spans), list items and table cells ("a | b" rows) as elements -- its Markdown
   output would have to be un-escaped (`\\[`, `\\*`, `1\\.`) and un-marked again.

The title is the article's own heading: the one that agrees with what the page claims (the
`ArticleTitle` meta tag of government sites, `og:title`, a part of `<title>`), never the
`<title>` with the site's name in it. All text goes through `ingest.normalize.clean_text`.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.normalize import clean_text
from ingest.parsers import document_id
from ingest.parsers.text import bom_encoding, decode_text, first_line_title, join_lines, normalize_newlines
from ingest.types import Document, ParseError

if TYPE_CHECKING:  # lxml and trafilatura are imported when a page is read: without them only HTML fails
    import lxml.html

log = logging.getLogger(__name__)

__all__ = ["decode_html", "parse_html"]

CELL_SEPARATOR = " | "  # table rows read like the DOCX parser's: "a | b | c"
# <meta charset="gbk"> or <meta http-equiv="Content-Type" content="text/html; charset=gb2312">
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
META_SEARCH_BYTES = 8192
_GB_CODECS = {"gb2312", "gbk", "gb18030"}
# A page whose declared codec fails on at most this share of characters keeps that codec.
_MAX_REPLACED_SHARE = 0.001
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

# --- what is never article text --------------------------------------------------------------

_NEVER_TEXT = (
    "//script|//style|//noscript|//template|//iframe|//object|//embed|//svg|//canvas"
    "|//comment()|//processing-instruction()"
)
# Navigation and the site's own header and footer, by HTML5 element or ARIA landmark role.
# An <article>'s own <header> holds its title and date, so only the page's are dropped.
_LANDMARKS = (
    "//nav|//aside|//menu"
    "|//header[not(ancestor::article or ancestor::main)]|//footer[not(ancestor::article or ancestor::main)]"
    "|//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='search']"
)
# Inline styles that hide an element. Read before the style attributes are removed: trafilatura
# drops any element whose style merely mentions "hidden", and table cells with
# "overflow: hidden" (common in pages pasted from Word) would lose their text.
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?<![-\w])opacity\s*:\s*0*(?:\.0+)?\s*(?:;|!|$)",
    re.IGNORECASE,
)
_FORM_CONTROLS = frozenset({"button", "input", "select", "textarea", "option", "label"})
# A control's label is a word or two ("打印", "关闭", "A+", "分享到微信"); an element with a handler
# and more text than this is content that happens to be clickable.
CONTROL_MAX_CHARS = 10
# Links to files of these types are attachments of the article, read as its text.
_ATTACHMENT_SUFFIXES = (
    ".pdf", ".ofd", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".csv",
    ".ppt", ".pptx", ".txt", ".zip", ".rar",
)  # fmt: skip
# Lists and tables that hold nothing until a script fills them.
_SLOTS = frozenset({"ul", "ol", "dl", "dd", "table", "tbody", "select"})
# What is left around removed controls ("字体大小：【 】", "分享到：") is a caption of them.
CAPTION_MAX_CHARS = 12
# Breadcrumbs: "首页 > 政务公开 > 通知公告", every part short, (nearly) every part a link.
_CRUMB_SEPARATOR = re.compile(r"[>›»→＞]")
CRUMB_MAX_CHARS = 100
CRUMB_PART_MAX_CHARS = 20
# A directory: at least this many links, this share of the text in links, links this short on
# average (department and district names, menu words; article titles are longer), and no text
# outside the links longer than a label ("版权所有：…" is 12).
DIRECTORY_MIN_LINKS = 8
DIRECTORY_MIN_LINK_SHARE = 0.6
DIRECTORY_MAX_MEAN_LINK_CHARS = 15
DIRECTORY_MAX_FREE_CHARS = 20
# A list page: after the furniture is gone, at least this many links hold at least this share
# of the page's text, and no text outside them is as long as a paragraph. On 21 real
# government article pages the share is at most 0.17 (0.34 before the directories go); a
# column index of article titles with their dates is above 0.6.
LIST_PAGE_MIN_LINKS = 10
LIST_PAGE_MIN_LINK_SHARE = 0.5
LIST_PAGE_MAX_FREE_CHARS = 50

# --- titles -----------------------------------------------------------------------------------

# Meta tags that name the article itself: ArticleTitle, which Chinese government-site platforms
# write beside SiteName and ColumnName, then Open Graph and Twitter cards.
_ARTICLE_TITLE_META = ("articletitle", "og:title", "twitter:title")
_SITE_NAME_META = ("sitename", "og:site_name", "application-name")
# "<article> _ <site>", "<article> | <site>", "<article> - <site>": a single dash that is not
# inside a number or word ("2024-2025", "COVID-19") and not a Chinese dash pair ("——").
_TITLE_SEPARATOR = re.compile(
    r"\s*[_|｜]\s*|\s+[-–—]\s+|(?<![-–—A-Za-z0-9])[-–—](?![-–—A-Za-z0-9])"
)
# A heading is the page's title when it and a declared title contain each other this closely.
TITLE_MATCH_SHARE = 0.6
# The title counts as already in the text when it is found within this many first lines.
TITLE_SEARCH_LINES = 6

# Elements after which the fallback extractor starts a new line.
_BLOCKS = frozenset({
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "section", "article", "blockquote", "pre", "dd", "dt", "ul", "ol",
})  # fmt: skip
# trafilatura widens its search to every paragraph of the page (site footers included) when
# the main text it found is shorter than MIN_EXTRACTED_SIZE characters, 250 by default: a
# few sentences of English, but a whole notice in Chinese, where a character carries about
# a word. At 100 a short notice keeps its own text; none of the 21 real pages changes.
MIN_MAIN_TEXT_CHARS = 100
# trafilatura XML elements that hold lines of their own.
_XML_BLOCKS = frozenset({"p", "head", "list", "item", "quote", "code", "div", "table", "row", "cell", "main"})
_HEADING_TAG = re.compile(r"^h([1-6])$")


def parse_html(path: Path) -> Document:
    """The article of a saved web page: its own title, its text as lines, `<h1>`-`<h6>` as Heading spans.

    Raises ParseError for a page that is only a list of links to other pages.
    """
    import lxml.html

    name = path.name
    page = _XML_DECLARATION.sub("", decode_html(path.read_bytes(), name), count=1)
    tree = _read_tree(page, name)
    claims = _title_claims(tree)
    _remove_furniture(tree)
    _refuse_list_page(tree, name)
    page_headings, page_lines = _page_headings(tree), _page_lines(tree)

    lines, levels = _extract_lines(lxml.html.tostring(tree, encoding="unicode"))
    from_trafilatura = bool(lines)
    if not from_trafilatura:
        log.info("%s: trafilatura found no main text, using the whole body", name)
        lines, levels = _body_lines(tree), {}
    lines = [clean_text(line) for line in lines]

    title, own = _choose_title(claims, page_headings, page_lines, lines, levels)
    if title and own and from_trafilatura and not _title_in_lines(title, lines):
        lines.insert(0, title)
        levels = {0: 1} | {index + 1: level for index, level in levels.items()}
    text, headings = join_lines(lines, levels)
    return Document(
        id=document_id(text),
        title=title or first_line_title(text) or path.stem,
        source=str(path),
        kind="html",
        text=text,
        headings=headings,
    )


def decode_html(data: bytes, name: str) -> str:
    """Decode an HTML page: byte order mark, then valid UTF-8, then the declared charset, then detection.

    Valid UTF-8 wins over the <meta> charset because mislabelled pages are common and a real
    GBK page is almost never valid UTF-8. GB2312/GBK labels decode as GB18030 (a superset).
    """
    declared = None if bom_encoding(data) else _declared_charset(data)
    if declared is not None and declared != "utf-8":
        try:
            return normalize_newlines(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
        text = data.decode(declared, errors="replace")
        replaced = text.count("\ufffd")
        if replaced <= _MAX_REPLACED_SHARE * len(text):
            if replaced:
                log.warning("%s: %d undecodable bytes in %s replaced", name, replaced, declared)
            return normalize_newlines(text)
        log.info("%s: declared charset %s does not fit, detecting", name, declared)
    return normalize_newlines(decode_text(data, name))


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:META_SEARCH_BYTES])
    if match is None:
        return None
    try:
        codec = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return "gb18030" if codec in _GB_CODECS else codec


def _read_tree(page: str, name: str) -> lxml.html.HtmlElement:
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError) as error:  # "Document is empty"
        raise ParseError(f"{name}: not a readable HTML page ({error})") from error


# --- furniture --------------------------------------------------------------------------------


def _compact(text: str | None) -> str:
    return "".join((text or "").split())


def _tag(element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _drop(element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    if element.getparent() is not None:
        element.drop_tree()


def _attached(element, tree) -> bool:
    """Whether `element` is still in the page (not inside a subtree already removed)."""
    top = element
    for top in element.iterancestors():
        pass
    return top is tree


def _remove_furniture(tree: lxml.html.HtmlElement) -> None:
    """Remove, in place, every part of the page that is never article text (module docstring, step 1)."""
    for element in tree.xpath(_NEVER_TEXT):
        _drop(element)
    for element in tree.xpath(_LANDMARKS):
        _drop(element)
    _remove_hidden(tree)
    _unlink_attachments(tree)
    _remove_controls(tree)
    _remove_link_blocks(tree)


def _unlink_attachments(tree: lxml.html.HtmlElement) -> None:
    """Turn links to attached files ("附件1：申请表.docx") into plain text: they name part of the
    article, they do not lead away from it. trafilatura drops a paragraph that is one link."""
    for link in tree.xpath("//a[@href]"):
        path = link.get("href", "").split("?", 1)[0].split("#", 1)[0].lower()
        if link.get("download") is not None or path.endswith(_ATTACHMENT_SUFFIXES):
            link.drop_tag()


def _remove_hidden(tree: lxml.html.HtmlElement) -> None:
    """Drop what the page hides (`hidden`, `aria-hidden`, display:none …), then every style attribute.

    Some pages hide their whole body until a script has run (`<body style="visibility: hidden">`):
    a hidden element that holds more than half of the page's text is shown after all.
    """
    body = tree.find("body")
    total = len(_compact(body.text_content())) if body is not None else 0
    for element in tree.xpath("//body//*[@hidden or @aria-hidden='true' or @style]"):
        style = element.get("style")
        hidden = (
            element.get("hidden") is not None
            or element.get("aria-hidden") == "true"
            or (style is not None and _HIDDEN_STYLE.search(style) is not None)
        )
        if hidden and len(_compact(element.text_content())) <= total / 2:
            _drop(element)
    for element in tree.xpath("//*[@style]"):
        del element.attrib["style"]


def _is_control(element) -> bool:
    """A button with a label of a word or two: a form control, a script or in-page link
    (`javascript:`, `#…`: print, close, "展开", footnote marks), an element with an `on…`
    handler, or an icon captioned with its own tooltip (`<img title="听全文"> 听全文`)."""
    tag = _tag(element)
    label = _compact(element.text_content())
    if len(label) > CONTROL_MAX_CHARS:
        return False
    if tag in _FORM_CONTROLS or any(key.lower().startswith("on") for key in element.attrib):
        return True
    href = element.get("href")
    if tag == "a" and href is not None:
        href = href.strip().lower()
        return href == "" or href.startswith(("javascript:", "#"))
    return bool(label) and any(
        _compact(image.get("title") or image.get("alt")) == label for image in element.iterfind(".//img")
    )


def _is_toolbar(element) -> bool:
    """A row of icons: a list of short items, at least half of them without text (icons, emptied
    buttons), or a short label beside two or more links that have no text ("分享到：" + icons)."""
    if _tag(element) in ("ul", "ol"):
        items = [_compact(item.text_content()) for item in element if _tag(item) == "li"]
        short = all(len(item) <= CAPTION_MAX_CHARS for item in items)
        if len(items) >= 3 and short and 2 * items.count("") >= len(items):
            return True
    if len(_compact(element.text_content())) > CAPTION_MAX_CHARS:
        return False
    return sum(1 for link in element.iterfind(".//a[@href]") if not _compact(link.text_content())) >= 2


def _is_empty_slot(element) -> bool:
    """A list or table with nothing in it: a place a script fills (share buttons, related links)."""
    return (
        _tag(element) in _SLOTS
        and not _compact(element.text_content())
        and element.find(".//img") is None
    )


def _remove_controls(tree: lxml.html.HtmlElement) -> None:
    """Drop buttons, toolbars and empty slots, then the captions left around them ("分享到：", "字体：【 】")."""
    body = tree.find("body")
    if body is None:
        return
    parents = []
    for test in (_is_control, _is_empty_slot, _is_toolbar):
        found = [element for element in body.iterdescendants() if isinstance(element.tag, str)]
        for element in [element for element in found if test(element)]:
            parent = element.getparent()
            if parent is not None and _attached(element, tree):
                parents.append(parent)
                _drop(element)
    for parent in parents:
        while (
            parent is not None
            and _tag(parent) not in ("body", "html")
            and _attached(parent, tree)
            and len(_compact(parent.text_content())) <= CAPTION_MAX_CHARS
            and parent.find(".//img") is None
            and parent.find(".//table") is None
        ):
            above = parent.getparent()
            _drop(parent)
            parent = above


@dataclass
class _LinkStats:
    chars: int = 0  # characters of text, whitespace not counted
    link_chars: int = 0
    links: int = 0  # links with text
    free: int = 0  # the longest piece of text outside links


def _is_directory(stats: _LinkStats) -> bool:
    return (
        stats.links >= DIRECTORY_MIN_LINKS
        and stats.link_chars >= DIRECTORY_MIN_LINK_SHARE * stats.chars
        and stats.link_chars <= DIRECTORY_MAX_MEAN_LINK_CHARS * stats.links
        and stats.free <= DIRECTORY_MAX_FREE_CHARS
    )


def _is_breadcrumb(element, stats: _LinkStats) -> bool:
    if stats.links < 2 or stats.chars > CRUMB_MAX_CHARS:
        return False
    parts = [part for part in _CRUMB_SEPARATOR.split(_compact(element.text_content())) if part]
    return (
        len(parts) >= 2
        and stats.links >= len(parts) - 1
        and all(len(part) <= CRUMB_PART_MAX_CHARS for part in parts)
    )


def _remove_link_blocks(tree: lxml.html.HtmlElement) -> None:
    """Drop breadcrumbs and directories of short links: the outermost element that is one."""
    body = tree.find("body")
    root = body if body is not None else tree
    measured = _measure_all(root)
    doomed = [
        element
        for element in root.iterdescendants()
        if isinstance(element.tag, str)
        and (_is_directory(measured[element]) or _is_breadcrumb(element, measured[element]))
    ]
    doomed_set = set(doomed)
    for element in doomed:
        if not any(ancestor in doomed_set for ancestor in element.iterancestors()):
            _drop(element)


def _measure_all(root) -> dict:
    """_LinkStats of every element under `root`, computed bottom-up in one pass."""
    measured: dict = {}
    for element in reversed(list(root.iter())):  # every child comes before its parent
        if not isinstance(element.tag, str):
            continue
        own = _LinkStats()
        link = _tag(element) == "a" and element.get("href") is not None
        pieces = [len(_compact(element.text))]
        for child in element:
            if isinstance(child.tag, str):
                child_stats = measured[child]
                own.chars += child_stats.chars
                own.link_chars += child_stats.link_chars
                own.links += child_stats.links
                own.free = max(own.free, child_stats.free)
            pieces.append(len(_compact(child.tail)))
        own.chars += sum(pieces)
        if link:
            own.link_chars, own.links, own.free = own.chars, int(own.chars > 0), 0
        else:
            own.free = max(own.free, *pieces)
        measured[element] = own
    return measured


def _refuse_list_page(tree: lxml.html.HtmlElement, name: str) -> None:
    """ParseError when the page is a list of links to other articles, with no body of its own."""
    body = tree.find("body")
    if body is None:
        return
    stats = _measure_all(body)[body]
    if (
        stats.links >= LIST_PAGE_MIN_LINKS
        and stats.link_chars >= LIST_PAGE_MIN_LINK_SHARE * stats.chars
        and stats.free < LIST_PAGE_MAX_FREE_CHARS
    ):
        raise ParseError(
            f"{name}: a list of links with no body text ({stats.links} links); save the article page itself"
        )


# --- main text --------------------------------------------------------------------------------


def _extract_lines(page: str) -> tuple[list[str], dict[int, int]]:
    """trafilatura's main text as lines and heading levels (a recall-oriented pass if the first finds none)."""
    import trafilatura

    for favor_recall in (False, True):
        xml = trafilatura.extract(
            page,
            output_format="xml",
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            include_formatting=False,
            favor_recall=favor_recall,
            config=_trafilatura_config(),
        )
        if xml and xml.strip():
            lines, levels = _from_xml(xml)
            if lines:
                return lines, levels
    return [], {}


@functools.cache
def _trafilatura_config():
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_MAIN_TEXT_CHARS))
    return config


def _from_xml(xml: str) -> tuple[list[str], dict[int, int]]:
    """Lines from trafilatura's XML: one per paragraph, line break, list item, heading and table row."""
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True, huge_tree=True))
    main = root.find("main") if root is not None else None
    if main is None:
        return [], {}
    lines: list[str] = []
    levels: dict[int, int] = {}
    _xml_lines(main, lines, levels)
    return lines, levels


def _xml_lines(element, lines: list[str], levels: dict[int, int]) -> None:
    buffer: list[str] = []

    def flush(level: int | None = None) -> None:
        line = " ".join("".join(buffer).split())
        buffer.clear()
        if line:
            if level is not None:
                levels[len(lines)] = level
            lines.append(line)

    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "table":
        for row in element.iter("row"):
            cells = [" ".join(" ".join(cell.itertext()).split()) for cell in row.iterfind("cell")]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                lines.append(CELL_SEPARATOR.join(cells))
        return
    level = None
    if tag == "head":
        rend = _HEADING_TAG.match(element.get("rend", "") or "")
        level = int(rend.group(1)) if rend else 2
    buffer.append(element.text or "")
    for child in element:
        child_tag = child.tag if isinstance(child.tag, str) else ""
        if child_tag == "lb":
            flush(level)
        elif child_tag in _XML_BLOCKS:
            flush(level)
            _xml_lines(child, lines, levels)
        elif child_tag:
            buffer.append("".join(child.itertext()))
        buffer.append(child.tail or "")
    flush(level)


def _body_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """Every text line of the (cleared) <body>, for pages where trafilatura finds no main text."""
    body = tree.find("body")
    root = body if body is not None else tree
    for element in root.iter():
        tag = _tag(element)
        if tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
        elif tag in ("td", "th"):
            element.tail = " " + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return [line for line in lines if line]


# --- title ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claims:
    """What the page says about its title: article-title meta tags, the site's name, <title>."""

    articles: tuple[str, ...]
    sites: tuple[str, ...]
    title: str


def _title_claims(tree: lxml.html.HtmlElement) -> _Claims:
    articles: list[str] = []
    sites: list[str] = []
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = clean_text(" ".join((meta.get("content") or "").split()))
        if content and key in _ARTICLE_TITLE_META:
            articles.append(content)
        elif content and key in _SITE_NAME_META:
            sites.append(content)
    title = tree.find(".//title")
    text = clean_text(" ".join(title.text_content().split())) if title is not None else ""
    return _Claims(tuple(articles), tuple(sites), text)


def _page_headings(tree: lxml.html.HtmlElement) -> list[tuple[str, int]]:
    """(text, level) of the page's h1-h3 headings that are left after the furniture, in page order."""
    headings = []
    for element in tree.iter("h1", "h2", "h3"):
        text = clean_text(" ".join(element.text_content().split()))
        if any(char.isalnum() for char in text):
            headings.append((text, int(element.tag[1])))
    return headings


def _page_lines(tree: lxml.html.HtmlElement) -> set[str]:
    """The whole text of every short element of the page: the lines a reader sees on their own."""
    lines = set()
    for element in tree.iter():
        if isinstance(element.tag, str):
            text = _compact(element.text_content())
            if 0 < len(text) <= CRUMB_MAX_CHARS:
                lines.add(text)
    return lines


def _same_title(heading: str, claim: str) -> bool:
    a, b = _compact(heading), _compact(claim)
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return shorter in longer and len(shorter) >= TITLE_MATCH_SHARE * len(longer)


def _title_parts(claims: _Claims, page_lines: set[str], lines: list[str]) -> list[str]:
    """The parts of <title> ("article_site", "article - site") that are not the site's name, best first.

    A declared site name goes. Of the rest, a part shown on its own line of the page or found in
    the main text comes first -- the site's name is a logo image or part of a footer line
    ("版权所有：…"), the article's title is a line of its own -- then the longer part.
    """
    parts = [part.strip() for part in _TITLE_SEPARATOR.split(claims.title) if part.strip()]
    sites = {_compact(site) for site in claims.sites}
    parts = [part for part in parts if _compact(part) not in sites] or parts
    text = _compact("".join(lines))

    def shown(part: str) -> int:
        return (_compact(part) in page_lines) + (_compact(part) in text)

    return sorted(parts, key=lambda part: (-shown(part), -len(part)))


def _choose_title(
    claims: _Claims,
    page_headings: list[tuple[str, int]],
    page_lines: set[str],
    lines: list[str],
    levels: dict[int, int],
) -> tuple[str, bool]:
    """(title, whether it is the article's own heading or declared title rather than <title>).

    In order: the page heading that agrees with a claimed title (an article-title meta tag or a
    part of <title>); the article-title meta tag; the first <h1> of the main text, else of the
    page; the part of <title> shown on the page; the best part of <title>. A section heading
    ("一、总体要求") is never the title on its own.
    """
    parts = _title_parts(claims, page_lines, lines) if claims.title else []
    for heading, _ in page_headings:
        if any(_same_title(heading, claim) for claim in (*claims.articles, *parts)):
            return heading, True
    if claims.articles:
        return claims.articles[0], True
    top_lines = (index for index, level in levels.items() if level == 1 and index < TITLE_SEARCH_LINES)
    first = min(top_lines, default=None)
    if first is not None:
        return lines[first], True
    top = next((heading for heading, level in page_headings if level == 1), None)
    if top is not None:
        return top, True
    return (parts[0], False) if parts else ("", False)


def _title_in_lines(title: str, lines: list[str]) -> bool:
    return _compact(title) in _compact("".join(lines[:TITLE_SEARCH_LINES]))


def __getattr__(name: str):
    """`ingest.parsers.html.trafilatura` stays the trafilatura module (code that patches its
    `extract` reaches it so), imported on first use like the parser's own imports."""
    if name == "trafilatura":
        import trafilatura

        return trafilatura
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
