"""Cut a Document into Chunks along its own structure: articles, numbered outlines, headings.

The pipeline has three small steps:

1. classify lines: each non-blank line is content or a heading with a rank (`Level`);
2. build units: a unit is one heading plus the content up to the next heading, tagged with
   the section path (the stack of open headings) -- a whole article 第X条 is one unit;
3. pack: tiny units merge with neighbours under the same heading, and every group of units
   is cut into windows of whole sentences no longer than `max_chars`, with a small overlap.

Heading ranks, outermost first (a lower rank is an outer heading):

    regulation titles inside a compilation                     Level.REGULATION (0)
    markup headings (Markdown ``#``, DOCX/HTML levels 1..6)    ranks 1..6
    plain headings (short standalone lines in news/plain text) Level.PLAIN
    第X编/篇/部分 < 第X章 < 第X节 < 第X条                      Level.PART .. Level.ARTICLE
    一、 < （一） < 1. < （1） < ①                               Level.OUTLINE_1 .. OUTLINE_5

A heading closes every open heading of the same or a deeper rank, then opens itself.
Inside an article the outline numbering （一） 1. … is article content, not a new section.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from ingest.types import Chunk, Document

log = logging.getLogger(__name__)

__all__ = ["Level", "chinese_number", "chunk_document", "classify_heading", "context_header", "find_regulations",
           "find_toc_lines", "label_number", "split_sentences"]


class Level(IntEnum):
    """Ranks of the textual heading kinds; markup headings use their own level 1..6 as rank."""

    REGULATION = 0  # the title of one regulation inside a compilation of several
    PLAIN = 7  # a short standalone line in news / plain text
    PART = 8  # 第X编, 第X篇, 第X部分
    CHAPTER = 9  # 第X章
    SECTION = 10  # 第X节
    ARTICLE = 11  # 第X条, 第X条之一
    OUTLINE_1 = 12  # 一、
    OUTLINE_2 = 13  # （一） (一)
    OUTLINE_3 = 14  # 1. 1． 1、
    OUTLINE_4 = 15  # （1） (1)
    OUTLINE_5 = 16  # ① … ⑳


MARKUP_LEVELS = range(1, 7)
CONTEXT_SEPARATOR = " › "

# Longest line that still reads as a title (e.g. "一、总体要求"); longer ones are sentences.
TITLE_MAX_CHARS = 30
# Longest 第X编/章/节 line taken as a heading; a longer one is a sentence citing it.
STRUCTURE_TITLE_MAX_CHARS = 40
# A sentence-like outline heading "（一）坚持问题导向。各单位……" keeps at most this many
# characters after its label as the section path entry.
ENTRY_MAX_CHARS = 20
# Short standalone lines up to this length may be plain headings (news subheadings).
PLAIN_HEADING_MAX_CHARS = 30
# A run of more short lines than this (a list of names, a poem) is content, not a heading.
PLAIN_HEADING_MAX_LINES = 2

# --- heading patterns ----------------------------------------------------------------------

_CN_DIGITS = "[一二三四五六七八九十百千零〇两]"
# 第, and 笫 (a bed mat), the misprint of 第 that real documents carry in labels ("笫十六条"):
# before a numeral and 条/章 it can mean nothing else, and the entry is written with 第.
_DI = "[第笫]"
_NUMBER = rf"(?:{_CN_DIGITS}+|[0-9０-９]+)"
# "第三章规定的…" or "第八条第二款" start a sentence that only cites a unit; not a heading.
_NOT_A_LABEL = r"(?![款项]|规定|的|中|所|至|和|或|及|[、，,])"

STRUCTURE_PATTERNS: dict[Level, re.Pattern[str]] = {
    Level.PART: re.compile(rf"^{_DI}\s*{_NUMBER}\s*(?:编|篇|部分){_NOT_A_LABEL}"),
    Level.CHAPTER: re.compile(rf"^{_DI}\s*{_NUMBER}\s*章{_NOT_A_LABEL}"),
    Level.SECTION: re.compile(rf"^{_DI}\s*{_NUMBER}\s*节{_NOT_A_LABEL}"),
    Level.ARTICLE: re.compile(rf"^{_DI}\s*{_NUMBER}\s*条(?:\s*之\s*{_NUMBER})?{_NOT_A_LABEL}"),
}
# An article label with nothing required after it (see classify_lines).
_ARTICLE_LABEL = re.compile(rf"^{_DI}\s*{_NUMBER}\s*条(?!\s*之)")
OUTLINE_PATTERNS: dict[Level, re.Pattern[str]] = {
    Level.OUTLINE_1: re.compile(rf"^{_CN_DIGITS}+\s*[、．]"),
    Level.OUTLINE_2: re.compile(rf"^[（(]\s*{_CN_DIGITS}+\s*[）)]"),
    Level.OUTLINE_3: re.compile(r"^[0-9０-９]{1,3}\s*[.．、](?![0-9０-９])"),
    Level.OUTLINE_4: re.compile(r"^[（(]\s*[0-9０-９]{1,3}\s*[）)]"),
    Level.OUTLINE_5: re.compile(r"^[\u2460-\u2473]"),  # ① … ⑳
}
MARKDOWN_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")

# Where a heading's title part ends when the line goes on as a sentence.
_TITLE_END = re.compile(r"[。：:，,；;！？!?]")
# Lines that are never plain headings: bylines, sources, dates, captions in brackets,
# Markdown list / quote / table / code lines.
_NOT_PLAIN_HEADING = re.compile(
    r"^[■□●○◆◇▲△★☆▶►※]|记者|通讯员|来源\s*[:：]|编辑\s*[:：]|责编|作者\s*[:：]"
    r"|^[（(\[【].*[）)\]】]$|^[-*+>|`]|^\d{4}\s*[-/.年]\s*\d{1,2}"
)
_CLOSERS = "”’」』）)】\"'"
# A line ending with one of these (before closing quotes) is a sentence, not a heading.
_SENTENCE_FINAL = "。！？；，、.!?;,…．"

# --- sentence boundaries -------------------------------------------------------------------

# A split point follows 。！？； (or ASCII/full-width variants), plus any closing quotes right
# after them. ASCII . ! ? ; only count when not followed by a letter or digit (URLs, 1.5);
# . and ． not after a digit (outline numbers "1．").
SENTENCE_END = re.compile(
    r"(?:[。！？；]|(?<![0-9０-９])．|(?<![0-9０-９])\.(?![0-9A-Za-z])|[!?;](?![0-9A-Za-z]))+"
    r"[”’」』）)】\"']*"
)
# Where an over-long sentence may be cut.
CLAUSE_END = re.compile(r"[，、,]")
_LINE = re.compile(r"[^\n\r\f\v\u2028\u2029\x85]+")

# Strength of the boundary after a piece of text; windows prefer to end at strong ones.
NO_BREAK = -1  # inside a heading line group: never end a chunk right after a heading
CLAUSE = 0  # inside an over-long sentence (the documented cut)
SENTENCE = 1
LINE = 2
UNIT = 3


@dataclass(frozen=True)
class HeadingMatch:
    """What a line says about structure: its rank, the path entry, and whether it is a bare title.

    `title` is False when the line also carries content (an article, a sentence-like outline item).
    """

    rank: int
    entry: str
    title: bool


@dataclass
class _Unit:
    """One heading (or the preamble) and the text that follows it, up to the next heading."""

    path: tuple[str, ...]
    lines: list[tuple[int, int]]
    article: bool = False
    heading_only: bool = True  # only a bare heading, and the next unit is its subsection
    empty_heading: bool = False  # only a bare heading, and no subsection follows (a list of titles)
    title_lines: int = 0  # how many leading lines are a bare heading (never end a chunk there)
    size: int = 0  # characters from the first line's start to the last line's end


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a clause of an over-long one): text[start:end], inside unit `unit`."""

    start: int
    end: int
    unit: int
    brk: int


# --- small text helpers ----------------------------------------------------------------------


def collapse_whitespace(text: str) -> str:
    """Trim and turn every whitespace run into a single space."""
    return " ".join(text.split())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without its leading and trailing whitespace, as a span."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def iter_lines(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the non-blank lines of `text`, with surrounding whitespace excluded."""
    for match in _LINE.finditer(text):
        start, end = _trim(text, *match.span())
        if start < end:
            yield start, end


def _clean_entry(raw: str) -> str:
    """A section path entry: whitespace collapsed, Markdown marks (# ** __) stripped."""
    collapsed = collapse_whitespace(raw)
    return collapsed.lstrip("#").strip("*_ ") or collapsed


def _ends_like_sentence(line: str) -> bool:
    body = line.rstrip(_CLOSERS + " \t")
    return not body or body[-1] in _SENTENCE_FINAL


def _entry_for(line: str, label_end: int) -> tuple[str, bool]:
    """(entry, is_title) of a numbered heading line whose label is line[:label_end].

    A short line without punctuation after the label is a title and is its own entry
    ("一、总体要求"); otherwise the entry is the label plus the words up to the first
    punctuation, at most ENTRY_MAX_CHARS of them ("（一）坚持问题导向").
    """
    stop = _TITLE_END.search(line, label_end)
    if stop is None and len(line) <= TITLE_MAX_CHARS:
        return collapse_whitespace(line), True
    words = label_end
    while words < len(line) and line[words].isspace():
        words += 1
    cut = min(stop.start() if stop else len(line), words + ENTRY_MAX_CHARS)
    return collapse_whitespace(line[:cut]), False


def _label_entry(label: str) -> str:
    """An article's path entry: its label without spaces, written with 第 ("笫 十六 条" -> "第十六条")."""
    return "第" + re.sub(r"\s+", "", label)[1:]


def classify_heading(line: str) -> HeadingMatch | None:
    """The heading a stripped line starts with (第X章, 第X条, 一、, （一）, …), or None for content.

    Markdown ``#`` lines get their number of hashes as rank. Plain headings need context
    and are found by `find_plain_headings`.
    """
    markdown = MARKDOWN_HEADING.match(line)
    if markdown:
        inner = markdown.group(2).strip()
        if inner and STRUCTURE_PATTERNS[Level.ARTICLE].match(inner) is None:
            return HeadingMatch(len(markdown.group(1)), _clean_entry(inner), True)
        line = inner  # an article marked up as a heading is still an article
    for level, pattern in STRUCTURE_PATTERNS.items():
        match = pattern.match(line)
        if match is None:
            continue
        if level is Level.ARTICLE:
            # The article text stays content; the path entry is only its label "第八条".
            return HeadingMatch(level, _label_entry(match.group(0)), False)
        if len(line) > STRUCTURE_TITLE_MAX_CHARS or _ends_like_sentence(line):
            return None  # a sentence that happens to start with 第X章
        return HeadingMatch(level, "第" + collapse_whitespace(line)[1:], True)
    for level, pattern in OUTLINE_PATTERNS.items():
        match = pattern.match(line)
        if match is not None:
            entry, title = _entry_for(line, match.end())
            return HeadingMatch(level, entry, title)
    return None


def _is_plain_candidate(line: str) -> bool:
    return (
        len(line) <= PLAIN_HEADING_MAX_CHARS
        and not _ends_like_sentence(line)
        and _NOT_PLAIN_HEADING.search(line) is None
        and sum(ch.isalnum() for ch in line) >= 2
    )


def find_plain_headings(
    text: str, lines: Sequence[tuple[int, int]], classified: dict[int, HeadingMatch]
) -> list[list[int]]:
    """Runs of line indices that form plain headings in news / plain text.

    A short standalone line (<= PLAIN_HEADING_MAX_CHARS, not ending like a sentence) is a heading
    when a paragraph follows it. Up to two such lines in a row form one heading, joined by a
    space: a kicker and its title ("边实践边探索:" + "耕好“试验田”,探出“衡阳路”"). A lone line
    ending with a colon introduces what follows ("现将有关事项通知如下：") and is not a heading.
    Bylines and datelines are skipped when looking for the following paragraph.
    """
    is_meta = [
        index not in classified and _NOT_PLAIN_HEADING.search(text[start:end]) is not None
        for index, (start, end) in enumerate(lines)
    ]
    # text_after[i]: some line after line i is not a byline/dateline
    text_after = [False] * len(lines)
    for index in range(len(lines) - 2, -1, -1):
        text_after[index] = text_after[index + 1] or not is_meta[index + 1]

    def ends_with_colon(index: int) -> bool:
        return text[slice(*lines[index])].rstrip(_CLOSERS).endswith((":", "："))

    runs: list[list[int]] = []
    run: list[int] = []
    for index, (start, end) in enumerate(lines):
        candidate = index not in classified and _is_plain_candidate(text[start:end])
        # A line ending with a colon may open a run (a kicker) but never continues one.
        if candidate and not (run and ends_with_colon(index)):
            run.append(index)
            continue
        # The run is followed by this line. A byline between a title and its text is
        # skipped: the title counts as followed by text when a real paragraph comes later.
        if is_meta[index] and not text_after[index]:
            run = []
        if run and len(run) <= PLAIN_HEADING_MAX_LINES and not ends_with_colon(run[-1]):
            runs.append(run)
        run = [index] if candidate else []
    return runs


def _markup_lines(doc: Document, lines: Sequence[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Line index -> (heading index, level) for lines overlapping a parser-supplied heading span."""
    found: dict[int, tuple[int, int]] = {}
    headings = sorted(doc.headings, key=lambda heading: heading.start)
    h = 0
    for index, (start, end) in enumerate(lines):
        while h < len(headings) and headings[h].end <= start:
            h += 1
        if h < len(headings) and headings[h].start < end:
            level = min(max(headings[h].level, MARKUP_LEVELS.start), MARKUP_LEVELS.stop - 1)
            found[index] = (h, level)
    return found


def _looks_like_law(text: str, lines: Sequence[tuple[int, int]]) -> bool:
    pattern = STRUCTURE_PATTERNS[Level.ARTICLE]
    hits = 0
    for start, end in lines:
        if pattern.match(text[start:end]):
            hits += 1
            if hits >= 2:
                return True
    return False


@dataclass(frozen=True)
class _HeadingItem:
    """A heading spanning lines[first..last] (a plain-heading run or a multi-line markup span)."""

    match: HeadingMatch
    last: int


def classify_lines(
    doc: Document, lines: Sequence[tuple[int, int]], plain_headings: bool
) -> dict[int, _HeadingItem]:
    """First line index -> heading item, for every heading of the document."""
    text = doc.text
    classified: dict[int, HeadingMatch] = {}
    previous = 0  # number of the last article
    for index, (start, end) in enumerate(lines):
        line = text[start:end]
        match = classify_heading(line)
        if match is None or match.rank != Level.ARTICLE:
            # "第二条中华人民共和国境内的…" reads like a sentence citing 第二条 ("第二条中规定的"),
            # but a line that starts with the very next article number is that article.
            loose = _ARTICLE_LABEL.match(line)
            if loose is not None and label_number(loose.group(0)) == previous + 1:
                match = HeadingMatch(Level.ARTICLE, _label_entry(loose.group(0)), False)
        if match is not None:
            classified[index] = match
            if match.rank == Level.ARTICLE:
                previous = label_number(match.entry) or previous
    items = {index: _HeadingItem(match, index) for index, match in classified.items()}

    # Parser-supplied heading spans win over the textual patterns, except for articles.
    # A span over several lines ("第一章" / "总则") becomes one heading.
    open_span: tuple[int, int] | None = None  # (heading index, first line) of the last markup heading
    for index, (heading, level) in sorted(_markup_lines(doc, lines).items()):
        textual = classified.get(index)
        if textual is not None and textual.rank == Level.ARTICLE:
            open_span = None
            continue
        entry = _clean_entry(text[slice(*lines[index])])
        if open_span is not None and open_span[0] == heading and items[open_span[1]].last == index - 1:
            first = open_span[1]
            joined = HeadingMatch(level, f"{items[first].match.entry} {entry}", True)
            items[first] = _HeadingItem(joined, index)
            items.pop(index, None)
        else:
            items[index] = _HeadingItem(HeadingMatch(level, entry, True), index)
            open_span = (heading, index)
        classified[index] = items[open_span[1]].match

    if plain_headings:
        for run in find_plain_headings(text, lines, classified):
            entry = " ".join(_clean_entry(text[slice(*lines[i])]) for i in run)
            items[run[0]] = _HeadingItem(HeadingMatch(Level.PLAIN, entry, True), run[-1])
    return items


# --- numbers, tables of contents and compilations --------------------------------------------

_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_LABEL_NUMBER = re.compile(rf"{_DI}\s*({_NUMBER})\s*(?:编|篇|部分|章|节|条)")


def chinese_number(numeral: str) -> int | None:
    """The value of a numeral as written in article labels: 十一 -> 11, 一百零五 -> 105, 205 -> 205.

    Arabic and full-width digits are read as they are; None when the text is no numeral.
    """
    numeral = numeral.strip()
    if not numeral:
        return None
    if numeral.isdigit():
        return int(numeral)
    total, digit = 0, None
    for char in numeral:
        if char in _CN_VALUES:
            if digit is not None:  # digits without units: 二〇二四 is read digit by digit
                digit = digit * 10 + _CN_VALUES[char]
            else:
                digit = _CN_VALUES[char]
        elif char in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def label_number(entry: str) -> int | None:
    """The number of a structure label: "第十一条" -> 11, "第三章 总则" -> 3, else None."""
    match = _LABEL_NUMBER.match(entry)
    return chinese_number(match.group(1)) if match else None


def article_number(section_path: Sequence[str]) -> int | None:
    """The number of the innermost article (第X条) in a section path: the one form 第39条 and
    第三十九条 share (39), stored with each chunk and used to look an article up."""
    for entry in reversed(section_path):
        if _ARTICLE_LABEL.match(entry):
            return label_number(entry)
    return None


def regulation_title(section_path: Sequence[str]) -> str:
    """The entry just above the first 第X编/章/节/条 of a section path: the title of the regulation
    holding the passage in a compilation ("" when the path starts with a structure label)."""
    above = ""
    for entry in section_path:
        if any(pattern.match(entry.strip()) for pattern in STRUCTURE_PATTERNS.values()):
            return above
        above = entry
    return ""


_TITLE_NOISE = re.compile(r"[\s《》〈〉<>“”\"]|[（(](?:[0-9]{4}|[一二三四五六七八九〇]{4})年?[^（()）]{0,8}[）)]$")


def bare_title(title: str) -> str:
    """A law's name as people write it in a question: no spaces or 《》, no 「中华人民共和国」 in
    front, no edition note such as 「（2018修正）」 behind."""
    return _TITLE_NOISE.sub("", title.strip()).removeprefix("中华人民共和国")


_ISSUED_IN_TITLE = re.compile(r"(?:印发|转发|颁布|发布)\s*《?(.+?)》?\s*的(?:通知|决定|公告|通告)$")
_QUOTED = re.compile(r"《([^《》]{2,80})》")


def names_of(title: str) -> set[str]:
    """The names a question may call a document by: its title (`bare_title`), and the document
    a covering notice issues (「…关于印发广州市就业见习基地管理办法的通知」 -> 广州市就业见习基地管理办法;
    the 《…》 its title quotes)."""
    names = {bare_title(title)}
    compact = "".join(title.split())
    if match := _ISSUED_IN_TITLE.search(compact):
        names.add(bare_title(match.group(1)))
    names.update(bare_title(quoted) for quoted in _QUOTED.findall(compact))
    return {name for name in names if name}


# A table-of-contents entry: a title followed by a dot leader (…… ····· ......) or a tab and
# a page number at the end of the line.
_TOC_ENTRY = re.compile(r"\S.*?(?:[.．·…‥⋯_]{3,}|\t)\s*[0-9０-９IVXivx]{1,4}\s*$")
_TOC_HEADING = re.compile(r"^目\s*录$|^contents$", re.IGNORECASE)


def find_toc_lines(text: str, lines: Sequence[tuple[int, int]]) -> set[int]:
    """Indices of the lines of tables of contents: not content, and never section headings.

    Two shapes are recognised: lines ending in a dot leader or a tab and a page number
    (wherever they are), and the block after a 目录 line up to the line where its first entry
    comes back as the real heading (a table of contents without page numbers).
    """
    found = {index for index, (start, end) in enumerate(lines) if _TOC_ENTRY.fullmatch(text[start:end])}
    entry = re.compile(r"[.．·…‥⋯_\t\s0-9０-９]+$")
    for index, (start, end) in enumerate(lines):
        if not _TOC_HEADING.match(collapse_whitespace(text[start:end])):
            continue
        found.add(index)
        if index + 1 >= len(lines):
            continue
        first = entry.sub("", text[slice(*lines[index + 1])]).replace(" ", "")
        for later in range(index + 2, len(lines)):
            if entry.sub("", text[slice(*lines[later])]).replace(" ", "") == first:
                found.update(range(index + 1, later))
                break
    return found


_TOC_SPLIT = re.compile(r"(?:[.．·…‥⋯_]{2,}|\t)\s*[0-9０-９IVXivx]{0,4}")
TOC_TITLE_MIN_CHARS = 6  # a shorter entry (总则, 附录) names no regulation


def toc_titles(text: str, lines: Sequence[tuple[int, int]], toc: set[int]) -> list[str]:
    """The entries of the tables of contents that may be regulations' titles: leader and page
    number left out, no chapter, article or numbered heading (第一章 总则, 一、…), at least
    TOC_TITLE_MIN_CHARS characters, without spaces."""
    names = []
    for index in sorted(toc):
        # a PDF line may hold two entries, or an entry whose page number lost its line break
        for entry in _TOC_SPLIT.split(collapse_whitespace(text[slice(*lines[index])]).replace(" ", "")):
            if len(entry) >= TOC_TITLE_MIN_CHARS and classify_heading(entry) is None and not _TOC_HEADING.match(entry):
                names.append(entry)
    return list(dict.fromkeys(names))


# Lines between two regulations that are not their title: a note in brackets such as
# （2017年9月1日起施行） or a line of a date.
# The document number line of an official document (信工学〔2025〕5号, [2024]13号) is no title either.
_TITLE_NOTE = re.compile(
    r"^[（(\[【].*[）)\]】]$|^[0-9〇零一二三四五六七八九]{4}\s*年|[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*第?\s*\d+\s*号$"
)
REGULATION_TITLE_MAX_LINES = 6
PREAMBLE_MAX_LINES = 3
# A title block this short ("总则", "附则") is a section name, not a regulation's title.
SECTION_WORD_MAX_CHARS = 4
# A bracketed span with a digit in it: a date, an order number (（教育部令第41号 2017年2月4日）).
_NUMBERED_NOTE = re.compile(r"[（(][^（）()]*[0-9０-９][^（）()]*[）)]")


def find_regulations(
    text: str, lines: Sequence[tuple[int, int]], items: dict[int, _HeadingItem], title: str = "",
    toc_names: Sequence[str] = (),
) -> tuple[dict[int, _HeadingItem], set[int]]:
    """The regulations of a compilation: a title heading before each, and where numbering restarts.

    A compilation (a handbook of rules, a collection of laws) holds several regulations, each
    numbering its own 第一章 / 第一条. A new regulation starts where the article numbering
    falls back to 第一条 after a higher number (chapters alone may restart inside one law, per
    编), at the 编/章 lines that lead into that article; its title is the block of short,
    non-sentence lines just before that point. The first regulation's title is found the same
    way once the document is known to be a compilation (the document's own `title` line is not
    part of it). Returns the title headings (first line
    -> item at Level.REGULATION) and the line indices where the open headings are closed
    because no title could be found.

    A regulation without articles (「一、评奖基本条件」…) restarts no numbering; it is found by
    its title when the compilation's table of contents names it (`toc_names`, from
    `toc_titles`) and the body writes that name as a block of title lines (「杭州电子科技大学
    信息工程学院」/「学生奖学金评审办法」/「信工学〔2025〕9 号」).
    """
    structure = [(index, item) for index, item in sorted(items.items())
                 if Level.PART <= item.match.rank <= Level.ARTICLE]
    starts: list[int] = []  # first structure line of each regulation after the first
    highest = 0  # highest article number of the current regulation
    pending: int | None = None  # first 编/章/节 line since the last article
    for index, item in structure:
        if item.match.rank != Level.ARTICLE:
            pending = index if pending is None else pending
            continue
        number = label_number(item.match.entry)
        if number == 1 and highest > 1:  # chapters may restart inside one law (per 编); articles do not
            starts.append(index if pending is None else pending)
            highest = 0
        highest = max(highest, number or 0)
        pending = None
    titles: dict[int, _HeadingItem] = {}
    resets: set[int] = set()
    if starts:
        first = structure[0][0]
        for start in [first, *starts]:
            block = _title_block(text, lines, items, start, title)
            if block is None:
                if start != first:
                    resets.add(start)
                continue
            begin, last, words = block
            titles[begin] = _HeadingItem(HeadingMatch(Level.REGULATION, words, True), last)
    taken = {index for begin, item in titles.items() for index in range(begin, item.last + 1)}
    for begin, last, name in _named_title_blocks(text, lines, items, toc_names, title):
        if not taken & set(range(begin, last + 1)):
            titles[begin] = _HeadingItem(HeadingMatch(Level.REGULATION, name, True), last)
            taken.update(range(begin, last + 1))
    return titles, resets


def _named_title_blocks(
    text: str, lines: Sequence[tuple[int, int]], items: dict[int, _HeadingItem], names: Sequence[str], title: str
) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each block of up to REGULATION_TITLE_MAX_LINES lines
    that writes one of `names` (spaces aside; a 文号 or date line in it is a note), first
    occurrence of each name, not the document's own title."""
    wanted = {name for name in names if name != title.replace(" ", "")}
    found: list[tuple[int, int, str]] = []
    for begin in range(len(lines)):
        if not wanted:
            break
        joined, last = "", begin
        for index in range(begin, min(begin + REGULATION_TITLE_MAX_LINES, len(lines))):
            line = collapse_whitespace(text[slice(*lines[index])]).replace(" ", "")
            item = items.get(index)
            if (item is not None and item.match.rank >= Level.PART) or _ends_like_sentence(line):
                break
            if _TITLE_NOTE.search(line) and joined:
                continue
            joined += line
            if not any(name.startswith(joined) for name in wanted):
                break
            last = index
            if joined in wanted:
                while last + 1 < len(lines) and _TITLE_NOTE.search(collapse_whitespace(text[slice(*lines[last + 1])])):
                    last += 1  # the 文号 line under the title belongs to the title block
                found.append((begin, last, joined))
                wanted.discard(joined)
                break
    return found


def _title_block(
    text: str, lines: Sequence[tuple[int, int]], items: dict[int, _HeadingItem], start: int, title: str
) -> tuple[int, int, str] | None:
    """(first line, last line, title) of the title lines before line `start`, or None.

    Walking up from `start`: short lines that are no sentence belong to the title block; up
    to PREAMBLE_MAX_LINES sentence lines right above `start` (a preamble, "为……，特制定本办法。",
    possibly under a bare heading such as 总则) are stepped over when title lines sit above them.
    Notes in the block (dates, 文号, a bracketed line) are left out of the title, and so are
    bracketed spans with digits in them (（教育部令第41号 2017年2月4日）), even over two lines.
    """
    own_title = title.replace(" ", "")

    def title_like(index: int) -> bool:
        line = text[slice(*lines[index])].strip()
        item = items.get(index)
        return not (
            (item is not None and item.match.rank >= Level.PART)
            or len(line) > STRUCTURE_TITLE_MAX_CHARS
            or _ends_like_sentence(line)
            or line.replace(" ", "") == own_title
        )

    def block_above(end: int) -> int:
        begin, open_brackets = end, 0  # a bracketed note closed below and opened further up
        while begin > 0 and end - begin < REGULATION_TITLE_MAX_LINES:
            line = text[slice(*lines[begin - 1])]
            item = items.get(begin - 1)
            inside_note = open_brackets > 0 and not (item is not None and item.match.rank >= Level.PART)
            if not (inside_note or title_like(begin - 1)):
                break
            open_brackets += sum(line.count(c) for c in "）)") - sum(line.count(c) for c in "（(")
            begin -= 1
        return begin

    begin, last = block_above(start), start - 1
    words = _title_words(text, lines, begin, start)
    if len(words) <= SECTION_WORD_MAX_CHARS:  # none, or a bare 总则: step over a preamble to the title
        cursor, skipped = start, 0
        while cursor > 0 and skipped < PREAMBLE_MAX_LINES:
            item = items.get(cursor - 1)
            if item is not None and item.match.rank >= Level.PART:
                break
            if title_like(cursor - 1):
                if len(collapse_whitespace(text[slice(*lines[cursor - 1])])) > SECTION_WORD_MAX_CHARS:
                    break  # the title
            else:
                skipped += 1
            cursor -= 1
        above = _title_words(text, lines, block_above(cursor), cursor) if skipped else ""
        if above:
            begin, last, words = block_above(cursor), cursor - 1, above
    if not words:
        return None
    return begin, last, words


def _title_words(text: str, lines: Sequence[tuple[int, int]], begin: int, end: int) -> str:
    """The title in lines[begin:end]: notes and bracketed spans with digits left out, CJK lines joined."""
    joined = ""
    for index in range(begin, end):
        part = collapse_whitespace(text[slice(*lines[index])])
        if _TITLE_NOTE.search(part):
            continue
        if joined and not (_is_cjk(joined[-1]) and _is_cjk(part[0])):
            joined += " "
        joined += part
    return _clean_entry(collapse_whitespace(_NUMBERED_NOTE.sub("", joined))) if joined else ""


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


# --- units -----------------------------------------------------------------------------------


def build_units(
    lines: Sequence[tuple[int, int]], items: dict[int, _HeadingItem], resets: frozenset[int] = frozenset()
) -> list[_Unit]:
    """Split the lines into units, each tagged with its section path.

    A heading closes every open heading of the same or a deeper rank. While an article is
    open, outline and plain headings are its content. At the lines in `resets` (a new
    regulation whose title is unknown) every open heading is closed.
    """
    units: list[_Unit] = []
    stack: list[tuple[int, str]] = []  # (rank, entry) of the open headings
    current: _Unit | None = None
    index = 0
    while index < len(lines):
        if index in resets:
            stack = []
        item = items.get(index)
        in_article = bool(stack) and stack[-1][0] == Level.ARTICLE
        if (
            item is not None
            and in_article
            and (item.match.rank > Level.ARTICLE or item.match.rank == Level.PLAIN)
        ):
            item = None  # numbering inside an article is article content
        if item is None:
            if current is None:  # text before the first heading: the preamble
                current = _Unit(path=(), lines=[])
                units.append(current)
            current.lines.append(lines[index])
            current.heading_only = False
            index += 1
            continue
        rank = item.match.rank
        while stack and stack[-1][0] >= rank:
            stack.pop()
        stack.append((rank, item.match.entry))
        current = _Unit(
            path=tuple(entry for _, entry in stack),
            lines=list(lines[index : item.last + 1]),
            article=rank == Level.ARTICLE,
            heading_only=item.match.title,
            title_lines=item.last - index + 1 if item.match.title else 0,
        )
        units.append(current)
        index = item.last + 1
    for index, unit in enumerate(units):
        unit.size = unit.lines[-1][1] - unit.lines[0][0]
        following = units[index + 1].path if index + 1 < len(units) else None
        if unit.heading_only and (following is None or following[: len(unit.path)] != unit.path):
            # A heading with nothing under it reads like a short paragraph: a table of
            # contents entry, or an item of a bare list of titles.
            unit.heading_only, unit.empty_heading, unit.title_lines = False, True, 0
    return units


def _common_prefix(paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        n = 0
        while n < min(len(prefix), len(path)) and prefix[n] == path[n]:
            n += 1
        prefix = prefix[:n]
    return prefix


def _title_depth(units: Sequence[_Unit]) -> int:
    """1 if the first heading is a document title (alone at the outermost rank), else 0.

    Tiny units then need to share more than the title to merge, so the last words of
    "一、" never merge into "二、" just because both sit under "# 某某方案".
    """
    tops = [unit.path[0] for unit in units if len(unit.path) == 1]
    roots = {unit.path[0] for unit in units if unit.path}
    return 1 if len(roots) == 1 and len(tops) <= 1 and any(len(unit.path) > 1 for unit in units) else 0


def _may_join(group: list[_Unit], unit: _Unit, title_depth: int) -> bool:
    """Whether `unit` may share chunks with the units gathered in `group`.

    Never across two articles; a heading joins only what follows it; otherwise the
    two must sit under a common heading below the document title.
    """
    leading = all(member.heading_only or member.empty_heading or not member.path for member in group)
    if any(member.article for member in group):
        return False  # an article is a unit of its own; nothing joins its tail
    if all(member.empty_heading for member in group):
        return True  # a bare title ("# 中华人民共和国民法典" over "# 物权编") is never a chunk of its own
    if unit.article:
        return leading  # only the headings above it (and the preamble) join an article
    last = group[-1]
    if unit.heading_only:
        return leading and unit.path[: len(last.path)] == last.path
    if unit.empty_heading and last.empty_heading:
        return True  # consecutive bare titles (a table of contents) pack together
    if len(last.path) <= title_depth or (leading and unit.path[: len(last.path)] == last.path):
        return True  # the preamble (or the title's own text) joins what follows
    return len(_common_prefix([last.path, unit.path])) > title_depth


def group_units(units: Sequence[_Unit], min_chars: int, max_chars: int) -> list[list[int]]:
    """Gather tiny units (< min_chars) with their neighbours; returns lists of unit indices.

    A tiny group absorbs the next unit whatever its size (the windows cut it later);
    a tiny unit joins the group before it when the two fit in max_chars together, unless
    it is a heading or an article: those only join a tiny group before them.
    """
    title_depth = _title_depth(units)
    groups: list[list[int]] = []
    for index, unit in enumerate(units):
        if groups:
            group = [units[i] for i in groups[-1]]
            size = group[-1].lines[-1][1] - group[0].lines[0][0]
            combined = unit.lines[-1][1] - group[0].lines[0][0]
            tiny_group = size < min_chars or all(member.heading_only for member in group)
            tiny_unit = (
                unit.size < min_chars and combined <= max_chars and not (unit.heading_only or unit.article)
            )
            if (tiny_group or tiny_unit) and _may_join(group, unit, title_depth):
                groups[-1].append(index)
                continue
        groups.append([index])
    return groups


# --- sentences and windows -------------------------------------------------------------------


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in text[start:end], whitespace-trimmed, covering all its non-space text.

    A sentence ends after 。！？； (or their ASCII / full-width variants) and any closing quotes
    that directly follow; the end of the span also ends one. Meant for a single line.
    """
    end = len(text) if end is None else end
    spans = []
    cursor = start
    for match in SENTENCE_END.finditer(text, start, end):
        spans.append(_trim(text, cursor, match.end()))
        cursor = match.end()
    spans.append(_trim(text, cursor, end))
    return [(s, e) for s, e in spans if s < e]


def split_long_sentence(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one sentence longer than max_chars into clauses of at most max_chars.

    This is the only place a sentence is cut: after the last ，、, that fits, or, failing
    that, hard at max_chars.
    """
    parts = []
    while end - start > max_chars:
        cut = start + max_chars
        clause = None
        for match in CLAUSE_END.finditer(text, start, cut):
            clause = match.end()
        cut = clause if clause is not None and clause > start else cut
        piece = _trim(text, start, cut)
        if piece[0] < piece[1]:
            parts.append(piece)
        start, end = _trim(text, cut, end)
    if start < end:
        parts.append((start, end))
    return parts


def _pieces_of(text: str, units: Sequence[_Unit], group: Sequence[int], max_chars: int) -> list[_Piece]:
    """The sentences of a group of units, each tagged with the break that follows it."""
    pieces: list[_Piece] = []
    for index in group:
        unit = units[index]
        for n, (line_start, line_end) in enumerate(unit.lines):
            sentences = split_sentences(text, line_start, line_end)
            for s, (start, end) in enumerate(sentences):
                parts = [(start, end)]
                if end - start > max_chars:
                    parts = split_long_sentence(text, start, end, max_chars)
                for p, (part_start, part_end) in enumerate(parts):
                    if n < unit.title_lines:
                        brk = NO_BREAK
                    elif p < len(parts) - 1:
                        brk = CLAUSE
                    elif s < len(sentences) - 1:
                        brk = SENTENCE
                    elif n < len(unit.lines) - 1:
                        brk = LINE
                    else:
                        brk = UNIT
                    pieces.append(_Piece(part_start, part_end, index, brk))
    return pieces


def _choose_cut(pieces: Sequence[_Piece], i: int, j: int, target: float) -> int:
    """Index k (i < k <= j) so that pieces[i:k] is the next window.

    Prefers the paragraph or unit end nearest to `target` (but not under half of it), then
    the sentence end nearest to `target`, then the last clause that fits (pieces[i:j]).
    """
    start = pieces[i].start
    for strongest in (LINE, SENTENCE):
        best: tuple[float, int, int] | None = None  # (distance to target, weaker break, later k)
        for k in range(i + 1, j + 1):
            piece = pieces[k - 1]
            length = piece.end - start
            if piece.brk < strongest or (strongest == LINE and length < target / 2):
                continue
            candidate = (abs(length - target), -piece.brk, -k)
            if best is None or candidate < best:
                best = candidate
        if best is not None:
            return -best[2]
    return j


def window_pieces(pieces: Sequence[_Piece], max_chars: int, overlap_chars: int) -> list[tuple[int, int]]:
    """Pack pieces into windows (i, k) of at most max_chars, the next starting with an overlap.

    Windows aim at an even length so a unit of 420 characters gives two halves, not 400 + 20.
    The overlap repeats the last whole sentences (<= overlap_chars) of the same unit.
    """
    windows: list[tuple[int, int]] = []
    n = len(pieces)
    i = 0
    while i < n:
        total = pieces[-1].end - pieces[i].start
        if total <= max_chars:
            windows.append((i, n))
            break
        count = math.ceil((total - overlap_chars) / (max_chars - overlap_chars))
        target = min(max_chars, (total + (count - 1) * overlap_chars) / count)
        j = i + 1  # every piece fits alone: long sentences were cut to max_chars
        while j < n and pieces[j].end - pieces[i].start <= max_chars:
            j += 1
        k = _choose_cut(pieces, i, j, target)
        windows.append((i, k))
        if k >= n:
            break
        m = k
        while (
            m - 1 > i
            and pieces[m - 1].unit == pieces[k].unit
            and pieces[k - 1].end - pieces[m - 1].start <= overlap_chars
        ):
            m -= 1
        while m < k and pieces[k].end - pieces[m].start > max_chars:
            m += 1  # keep room for at least one new piece
        i = m
    return windows


def split_paragraphs(
    text: str, units: Sequence[_Unit], pieces: Sequence[_Piece], min_chars: int, barriers: Sequence[int] = ()
) -> list[list[_Piece]]:
    """Cut a group's pieces into paragraphs (at blank lines and unit ends), merging a paragraph
    shorter than min_chars with the next one.

    Each paragraph is then windowed on its own, so a chunk holds one coherent paragraph
    rather than the tail of one and the head of another: packing unrelated paragraphs
    dilutes a passage's embedding. Articles (第X条) stay whole units: their paragraphs (款)
    read only together. No paragraph runs over an offset in `barriers` (where left-out lines,
    a table of contents, sit), so no chunk's text holds them.
    """
    segments: list[list[_Piece]] = []
    current: list[_Piece] = []
    for index, piece in enumerate(pieces):
        current.append(piece)
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        if following is None:
            break
        cut = bisect.bisect_right(barriers, piece.end)
        if cut < len(barriers) and barriers[cut] < following.start:
            segments.append(current)
            current = []
            continue
        if units[piece.unit].article or units[following.unit].article or piece.brk < LINE:
            continue
        blank_line = text.count("\n", piece.end, following.start) >= 2
        if (blank_line or piece.brk == UNIT) and current[-1].end - current[0].start >= min_chars:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def _chunk_path(units: Sequence[_Unit], first: int, last: int) -> tuple[str, ...]:
    """Common section path of units[first..last], ignoring headings that lead into the next unit."""
    paths = []
    for index in range(first, last + 1):
        unit = units[index]
        leads = index < last and (not unit.path or unit.heading_only or unit.empty_heading)
        if not leads:
            paths.append(unit.path)
    return _common_prefix(paths or [units[last].path])


def _check_bounds(max_chars: int, min_chars: int, overlap_chars: int) -> None:
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    if min_chars < 0 or overlap_chars < 0:
        raise ValueError(
            f"min_chars and overlap_chars must not be negative, got {min_chars} and {overlap_chars}"
        )
    if min_chars >= max_chars:
        raise ValueError(f"min_chars ({min_chars}) must be smaller than max_chars ({max_chars})")
    if overlap_chars >= max_chars // 2:
        raise ValueError(f"overlap_chars ({overlap_chars}) must be less than half of max_chars ({max_chars})")


def chunk_document(
    doc: Document,
    max_chars: int = 400,
    min_chars: int = 80,
    overlap_chars: int = 60,
    *,
    plain_headings: bool | None = None,
    context: bool = True,
) -> list[Chunk]:
    """Cut `doc` into Chunks that follow its structure and never cut a sentence.

    Every chunk satisfies doc.text[start:end] == text, has no surrounding whitespace and
    is at most max_chars long; together the chunks cover all non-whitespace text. A chunk
    never spans two articles (第X条). `plain_headings` turns on short standalone lines as
    headings; None means on for text/markdown/html documents without articles. With
    `context`, each chunk carries a `context_header` for BM25. Lines of a table of
    contents are left out; in a compilation of regulations each regulation's title opens
    its section paths.
    """
    _check_bounds(max_chars, min_chars, overlap_chars)
    text = doc.text
    lines = list(iter_lines(text))
    if not lines:
        return []
    toc = find_toc_lines(text, lines)
    if toc:  # a title page before the table of contents: the title is in every chunk's header already
        first = min(toc)
        if all(collapse_whitespace(text[slice(*lines[i])]) == collapse_whitespace(doc.title) for i in range(first)):
            toc.update(range(first))
    names = toc_titles(text, lines, toc)
    barriers = [lines[index][0] for index in sorted(toc)]
    lines = [span for index, span in enumerate(lines) if index not in toc]
    if not lines:
        return []
    law = _looks_like_law(text, lines)
    if plain_headings is None:
        plain_headings = doc.kind in {"text", "markdown", "md", "html"} and not law
    # A law's name is how its articles are asked about ("劳动合同法第三十九条"); the first line of
    # a report is a headline, and in front of every passage it outweighs the passage's own words
    # for the embedding model (measured on the seed, docs/benchmarks.md): only laws get it.
    header_title = doc.title if law else ""
    items = classify_lines(doc, lines, plain_headings)
    titles, resets = find_regulations(text, lines, items, doc.title, names)
    for begin, title in titles.items():
        for index in range(begin, title.last + 1):
            items.pop(index, None)
        items[begin] = title
    units = build_units(lines, items, frozenset(resets))
    chunks: list[Chunk] = []
    for group in group_units(units, min_chars, max_chars):
        pieces_of_group = _pieces_of(text, units, group, max_chars)
        for pieces in split_paragraphs(text, units, pieces_of_group, min_chars, barriers):
            for i, k in window_pieces(pieces, max_chars, overlap_chars):
                start, end = pieces[i].start, pieces[k - 1].end
                path = _chunk_path(units, pieces[i].unit, pieces[k - 1].unit)
                chunks.append(
                    Chunk(
                        doc_id=doc.id,
                        text=text[start:end],
                        start=start,
                        end=end,
                        section_path=path,
                        page=doc.page_at(start),
                        page_end=doc.page_at(end - 1),
                        context=context_header(header_title, path, text, units[pieces[i].unit], start)
                        if context
                        else "",
                    )
                )
    log.debug("chunked %s into %d chunks from %d units (%d table-of-contents lines left out)",
              doc.id, len(chunks), len(units), len(toc))
    return chunks


CONTEXT_MAX_CHARS = 160
LEAD_IN_MAX_CHARS = 40


def context_header(title: str, path: Sequence[str], text: str, unit: _Unit, start: int) -> str:
    """The short header BM25 indexes with a chunk: where it sits, in words a question may use.

    `title` (given for laws only), then the section path ("第二章 劳动合同的订立 › 第十条"); a
    chunk that continues an article after its first lines gets the article's lead-in instead
    of the bare number ("第六条 学生纪律处分的种类分为："), so each piece of a split article says
    what it belongs to. The title is not repeated when it is the path's first entry.
    """
    entries = [title] if title and (not path or path[0] != title) else []
    entries.extend(path)
    if unit.article and unit.lines and start > unit.lines[0][0]:
        first = unit.lines[0]
        sentences = split_sentences(text, *first)
        lead = text[slice(*sentences[0])] if sentences else text[slice(*first)]
        if len(lead) > LEAD_IN_MAX_CHARS:
            lead = lead[:LEAD_IN_MAX_CHARS] + "…"
        if entries and path and entries[-1] == path[-1]:
            entries[-1] = collapse_whitespace(lead)
        else:
            entries.append(collapse_whitespace(lead))
    header = CONTEXT_SEPARATOR.join(entries)
    return header if len(header) <= CONTEXT_MAX_CHARS else header[: CONTEXT_MAX_CHARS - 1] + "…"
