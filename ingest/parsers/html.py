"""HTML pages: the main text only (no navigation, scripts or footer), extracted with trafilatura."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

import lxml.html
import trafilatura
from lxml import etree

from ingest.parsers import document_id
from ingest.parsers.text import bom_encoding, decode_text, join_lines, normalize_newlines
from ingest.types import Document, Heading, ParseError

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

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?=\S)(.+?)(?<=\S)\*(?!\*)")
_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")
# Elements that are never main text, removed by the fallback extractor.
_BOILERPLATE = "//script|//style|//noscript|//template|//nav|//header|//footer|//aside|//comment()"
# Elements after which the fallback extractor starts a new line.
_BLOCKS = frozenset({
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "section", "article", "blockquote", "pre", "dd", "dt", "ul", "ol",
})  # fmt: skip


def parse_html(path: Path) -> Document:
    """The page's main text as lines; `#` headings found by trafilatura become Heading spans."""
    name = path.name
    page = _XML_DECLARATION.sub("", decode_html(path.read_bytes(), name), count=1)
    markdown = _extract_markdown(page)
    if markdown:
        text, headings = _from_markdown(markdown)
    else:
        log.info("%s: trafilatura found no main text, using the whole body", name)
        text, headings = _body_text(page, name), ()
    title = _page_title(page)
    if not title and headings:
        title = text[headings[0].start : headings[0].end]
    return Document(
        id=document_id(text),
        title=title or path.stem,
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


def _extract_markdown(page: str) -> str:
    """trafilatura's main text as Markdown; a second, recall-oriented pass if the first finds nothing."""
    for favor_recall in (False, True):
        markdown = trafilatura.extract(
            page,
            output_format="markdown",
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            favor_recall=favor_recall,
        )
        if markdown and markdown.strip():
            return markdown
    return ""


def _from_markdown(markdown: str) -> tuple[str, tuple[Heading, ...]]:
    """Plain lines from trafilatura's Markdown: `#` marks and emphasis dropped, tables as "a | b" rows.

    The page was not written in Markdown, so its marks are not kept in the text; the heading
    levels survive as Heading spans over the (unmarked) heading lines.
    """
    lines: list[str] = []
    levels: dict[int, int] = {}
    for raw in normalize_newlines(markdown).split("\n"):
        line = raw.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(2).strip()
            if line:
                levels[len(lines)] = len(heading.group(1))
        elif line.startswith("|") and line.endswith("|"):
            line = CELL_SEPARATOR.join(cell.strip() for cell in line[1:-1].split("|"))
        line = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", line)).strip()
        if line:
            lines.append(line)
    return join_lines(lines, levels)


def _body_text(page: str, name: str) -> str:
    """Every text line of <body> outside scripts, styles, navigation, header and footer."""
    try:
        tree = lxml.html.fromstring(page)
    except (etree.ParserError, ValueError) as error:  # "Document is empty"
        raise ParseError(f"{name}: not a readable HTML page ({error})") from error
    for element in tree.xpath(_BOILERPLATE):
        element.drop_tree()
    body = tree.find("body")
    root = body if body is not None else tree
    for element in root.iter():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
        elif tag in ("td", "th"):
            element.tail = " " + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _page_title(page: str) -> str:
    """trafilatura's title (meta tags, <h1>, <title> minus the site name), else <title>."""
    try:
        metadata = trafilatura.extract_metadata(page)
    except Exception as error:  # noqa: BLE001 -- metadata is optional; its failure must not cost the page
        log.debug("no metadata: %s", error)
        metadata = None
    title = metadata.title if metadata is not None else None
    if not title:
        try:
            title = lxml.html.fromstring(page).findtext(".//title")
        except (etree.ParserError, ValueError):
            title = None
    return " ".join((title or "").split())
