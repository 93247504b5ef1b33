"""Plain-text and Markdown files, decoded robustly (UTF-8/16/32, GBK/GB18030 and other legacy codecs)."""

from __future__ import annotations

import codecs
import html
import logging
import re
from pathlib import Path

from ingest.normalize import clean_text
from ingest.official import ISSUER_MARK
from ingest.parsers import document_id
from ingest.types import Document, Heading, ParseError

log = logging.getLogger(__name__)

__all__ = [
    "bom_encoding",
    "decode_text",
    "first_line_title",
    "join_lines",
    "markdown_headings",
    "markdown_source_text",
    "parse_text",
]

# Byte order marks; the UTF-32 LE mark starts with the UTF-16 LE one, so UTF-32 is tried first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# GB18030 is a byte-compatible superset of GB2312 and GBK: decoding with it never loses a
# character that a GBK guess would have mangled (e.g. 㐀 or 𠀀, which GBK lacks).
_GB_CODECS = {"gb2312", "gbk", "gb18030"}
# Share of NUL bytes that must sit on one parity before bytes are read as BOM-less UTF-16.
_UTF16_NUL_PARITY = 0.9
# Control characters that never occur in real text (tab, newline, carriage return, form feed excepted).
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BAD_CONTROL_RATIO = 0.01

# A line that is at most this long and is no sentence may serve as the document title.
TITLE_MAX_CHARS = 60
_SENTENCE_END = ("。", "！", "？", "!", "?", ".")
# CommonMark ATX heading: up to 3 spaces, 1-6 '#', a space, the text, optional closing '#'s.
_MARKDOWN_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)")

MARKDOWN_SUFFIXES = (".md", ".markdown")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# YAML front matter (Jekyll, Hugo, VuePress): a "---" block at the very start of the file.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>(?:.*\n){0,80}?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*[\"']?(?P<title>[^\"'\n]+?)[\"']?[ \t]*$", re.MULTILINE)
# Raw HTML inside Markdown: block ends and <br> are line breaks, other tags are markup. A tag
# starts with an ASCII letter, so LawRefBook's <中华人民共和国劳动合同法> title marks stay.
_HTML_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|h[1-6]|li|tr|blockquote)\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?/?>")
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Attribute lists of kramdown / Pandoc / markdown-it-attrs: {align="center"}, {#id .class}, {: .note}.
_ATTRIBUTE = r"(?:[#.][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s{}]+))"
_ATTRIBUTE_LIST = re.compile(rf"[ \t]*\{{:?[ \t]*{_ATTRIBUTE}(?:[ \t]+{_ATTRIBUTE})*[ \t]*\}}")
# Strong emphasis (**…**, __…__) is shown as its text; single * and _ are left (footnote marks,
# list bullets, file names).
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<![\w])__(?=\S)(.+?)(?<=\S)__(?![\w])")
# markdown-it-container fences (VuePress "::: tip 标题" … ":::"): the fence is markup, its title is shown.
_CONTAINER_FENCE = re.compile(r"^[ \t]*:{3,}[ \t]*(?:[A-Za-z][\w-]*)?[ \t]*(?P<title>.*?)[ \t]*$", re.MULTILINE)


def parse_text(path: Path) -> Document:
    """A .txt file (kind "text") or a Markdown file (kind "markdown", with `#` headings)."""
    text = clean_text(normalize_newlines(decode_text(path.read_bytes(), path.name)))
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        text, stated_title = markdown_source_text(text)
        kind = "markdown"
        headings = markdown_headings(text)
        title = stated_title or _markdown_title(text, headings)
    else:
        kind = "text"
        headings = ()
        title = first_line_title(text)
    return Document(
        id=document_id(text),
        title=title or path.stem,
        source=str(path),
        kind=kind,
        text=text,
        headings=headings,
    )


def markdown_source_text(text: str) -> tuple[str, str]:
    """Markdown source as a reader of the rendered page sees it, and the front matter's title.

    Left out, as rendering leaves them out: HTML comments, YAML front matter, raw HTML tags
    (block ends and <br> become line breaks), attribute lists ({align="center"}), container
    fences (::: tip … :::, whose title stays as a line) and strong-emphasis marks (**第一条**). HTML entities (&emsp; &nbsp; &lt;)
    become their characters. Headings, lists and emphasis marks stay: the chunker reads them.
    """
    text = _HTML_COMMENT.sub("", text)
    title = ""
    if front := _FRONT_MATTER.match(text):
        if named := _FRONT_MATTER_TITLE.search(front.group("yaml")):
            title = named.group("title").strip()
        text = text[front.end() :]
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    text = _ATTRIBUTE_LIST.sub("", text)
    text = _CONTAINER_FENCE.sub(lambda match: match.group("title"), text)
    text = _STRONG.sub(lambda match: match.group(1) or match.group(2), text)
    text = _HTML_ENTITY.sub(lambda match: html.unescape(match.group(0)), text)
    return clean_text(text), title



def _markdown_title(text: str, headings: tuple[Heading, ...]) -> str | None:
    """The first heading, unless it is an official document's 版头 mark (「中国人民银行文件」,
    GB/T 9704) with a heading after it; the first line when there is no heading."""
    names = [heading_text(text, heading) for heading in headings[:2]]
    if len(names) == 2 and ISSUER_MARK.match(names[0]):
        return names[1]
    return names[0] if names else first_line_title(text)


def decode_text(data: bytes, name: str) -> str:
    """Decode the bytes of a text file, or raise ParseError if no encoding reads them cleanly.

    Order: a byte order mark; BOM-less UTF-16 (NUL bytes on one parity -- checked before
    UTF-8 because ASCII in UTF-16 is valid UTF-8 with NULs); strict UTF-8; then
    charset-normalizer's best guess, read with GB18030 for any GB2312/GBK guess.
    """
    bom = bom_encoding(data)
    if bom is not None:
        size, encoding = bom
        return _decode_strict(data[size:], encoding, name)

    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        return utf16

    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass

    encoding = guess_encoding(data)
    if encoding is None:
        raise ParseError(f"{name}: cannot detect the text encoding (the file may be binary)")
    log.debug("%s: decoding as %s", name, encoding)
    return _decode_strict(data, encoding, name)


def bom_encoding(data: bytes) -> tuple[int, str] | None:
    """(length of the byte order mark, codec) when the bytes start with one, else None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return len(bom), encoding
    return None


def guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's best guess as a Python codec name, preferring GB18030 on a tie.

    Short Chinese texts fit several legacy codecs equally well (big5, cp949, GB18030 …);
    this base holds mainland Chinese documents, so a tie goes to GB18030.
    """
    from charset_normalizer import from_bytes  # imported when a file is not UTF-8

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if _codec_name(match.encoding) in _GB_CODECS:
            if match.chaos <= best.chaos and match.coherence >= best.coherence:
                best = match
            break
    name = _codec_name(best.encoding)
    return "gb18030" if name in _GB_CODECS else name


def normalize_newlines(text: str) -> str:
    """Turn CRLF and lone CR line endings into "\\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def markdown_headings(text: str) -> tuple[Heading, ...]:
    """The ATX (`#`) heading lines of Markdown text, outside fenced code blocks."""
    headings: list[Heading] = []
    in_fence = False
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if _CODE_FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = _MARKDOWN_HEADING.match(line)
            if match and match.group(2).strip():
                headings.append(Heading(start, end, len(match.group(1))))
        start = end + 1
    return tuple(headings)


def join_lines(lines: list[str], levels: dict[int, int]) -> tuple[str, tuple[Heading, ...]]:
    """The lines joined with "\\n", and a Heading over each line whose index has a level."""
    headings: list[Heading] = []
    start = 0
    for index, line in enumerate(lines):
        if index in levels:
            headings.append(Heading(start, start + len(line), levels[index]))
        start += len(line) + 1
    return "\n".join(lines), tuple(headings)


def heading_text(text: str, heading: Heading) -> str:
    """The words of a heading line, without Markdown `#` marks or emphasis."""
    line = text[heading.start : heading.end]
    match = _MARKDOWN_HEADING.match(line)
    words = match.group(2) if match else line
    return " ".join(words.strip("*_ \t\u3000").split())


def first_line_title(text: str) -> str | None:
    """The first non-empty line if it reads like a title: short, not a sentence, has a word in it.

    A first line ending in a dash is a news kicker (引题) leading into the headline below it
    (「…提供衡阳经验、衡阳标准——」 over 「从“立柱架梁”向精雕细琢」): the title is both, as the
    paper prints them; the kicker alone, without its dash, when no title-like line follows."""
    lines = [line.strip(" \t\u3000\ufeff") for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines or not _title_like(lines[0]):
        return None
    first = lines[0]
    if not first.endswith(_KICKER_DASHES):
        return first
    if len(lines) > 1 and _title_like(lines[1]) and not lines[1].endswith(_KICKER_DASHES):
        return first + lines[1]
    return first.rstrip("".join(_KICKER_DASHES)).strip() or None


_KICKER_DASHES = ("—", "－", "-")


def _title_like(line: str) -> bool:
    return len(line) <= TITLE_MAX_CHARS and not line.endswith(_SENTENCE_END) and any(c.isalnum() for c in line)


def _decode_strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return _checked(data.decode(encoding), name)
    except (UnicodeDecodeError, LookupError) as error:
        raise ParseError(f"{name}: cannot detect the text encoding (not valid {encoding})") from error


def _checked(text: str, name: str) -> str:
    """The text, unless control characters show that it is really binary data."""
    bad = len(_BAD_CONTROL.findall(text))
    if "\x00" in text or bad > _BAD_CONTROL_RATIO * max(len(text), 1):
        raise ParseError(f"{name}: cannot detect the text encoding (the file looks binary)")
    return text


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 text without a byte order mark, recognised by its NUL high bytes; else None."""
    nuls = data.count(0)
    if nuls == 0 or len(data) % 2:
        return None
    odd = data[1::2].count(0)  # 'a' is 61 00 in little endian: the NUL at the odd position
    even = nuls - odd
    for share, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if share >= _UTF16_NUL_PARITY * nuls:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            if "\x00" in text or len(_BAD_CONTROL.findall(text)) > _BAD_CONTROL_RATIO * len(text):
                return None
            return text
    return None


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding
