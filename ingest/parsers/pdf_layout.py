"""Page layout clean-up for the text of PDF pages, whether read off a text layer or by OCR.

A page's text says more than its reader reads as the document: a running header ("某某学院
2025 学生手册"), a page number ("—13—", "- 3 -", "第 3 页 共 27 页"), and line breaks that
only mark where the page ran out of width ("解除劳动合⏎同"). Left in, the furniture lands in
the middle of chunks and lists, and a wrapped line cuts words in two for jieba and the
embedding model. So, on the list of page texts before they are joined:

1. every page is cleaned (`ingest.normalize.clean_text`: radicals folded, invisible
   characters stripped) and letter-spaced Chinese is closed up (`normalize_page_text`);
2. running headers and footers are dropped: lines among the first or last EDGE_LINES of a
   page whose shape, digits aside, recurs at the edge of at least RUNNING_MIN_SHARE of the
   pages. Only runs touching the page's top or bottom go, never a line in the middle;
3. the printed page number is read from the dropped lines: the digit group that counts up
   with the pages (the "76" of "学生手册 76", not the "2025") becomes the page's label;
4. hard line wraps are joined: a line that is *full* (as wide as the page's typical full
   line), does not end a sentence, and is followed by a line that starts no heading or list
   item (the chunker's own patterns) and is full itself or ends a sentence, continues on the
   next line; also across a page break.

The thresholds were measured on real PDFs (docs/benchmarks.md, "PDF page layout").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.chunking import OUTLINE_PATTERNS, STRUCTURE_PATTERNS
from ingest.normalize import clean_text
from ingest.official import ISSUER_MARK
from ingest.types import Page

__all__ = ["EDGE_LINES", "Layout", "SizedLine", "display_width", "ends_sentence", "join_title_lines",
           "lay_out_pages", "line_shape", "normalize_page_text", "page_measures", "page_number_value",
           "starts_block", "title_from_lines", "title_like", "undouble", "wraps_into"]

# Lines at each end of a page that may be a running header or footer; a header and a page
# number above or below it is two, a third allows for a date or a rule line.
EDGE_LINES = 3
# A line shape (digits aside) recurring at the page edge on at least this share of the pages,
# and on two pages at least, is page furniture. Under a half, so that headers alternating
# between odd and even pages (book title left, chapter right) are found too.
RUNNING_MIN_SHARE = 0.4
RUNNING_MIN_PAGES = 2
# A digit group that goes up with the page index on at least this share of the steps
# between the pages it was read on is the printed page number.
PAGE_SEQUENCE_MIN_SHARE = 0.6
# The typical full line is this percentile of the widths of the document's lines ...
FULL_LINE_PERCENTILE = 0.9
# ... and a line at least this share of it wide reached the right margin. Justified Chinese
# lines vary with their punctuation and digits: 24.5-28 characters on a 28-character measure.
FULL_LINE_SHARE = 0.85
# Fewer lines than this and the percentile says nothing about the measure: nothing is joined.
FULL_LINE_MIN_LINES = 5
# A page with enough lines is measured on its own (a preface set in larger type has a shorter
# measure than the body) unless its lines are all short (a page of headings), i.e. its own
# measure is under this share of the document's.
PAGE_MEASURE_MIN_SHARE = 0.75

# A title is at most this long (a one-line title of a law or notice; longer is a sentence) ...
TITLE_MAX_CHARS = 60
# ... and has at least this many letters, digits or ideographs ("前言", "目录" are no titles).
TITLE_MIN_LETTERS = 4
# A line set at least this much larger than the page's body text is a display line (a title).
TITLE_SIZE_RATIO = 1.15
# Lines set within this ratio of each other belong to one wrapped title.
TITLE_SIZE_TOLERANCE = 0.1
# The title is looked for among the first lines of the page only.
TITLE_SEARCH_LINES = 20

# Characters of Chinese running text: CJK ideographs (with extensions A-G and compatibility
# forms), kana, CJK and full-width punctuation, and the quotes, dashes and dots set between them.
_CJK = (
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACED_PAIR = re.compile(f"(?<=[{_CJK}])[ \u00a0]+(?=[{_CJK}])")
_ADJACENT_PAIR = re.compile(f"[{_CJK}](?=[{_CJK}])")
_DIGITS = re.compile(r"[0-9０-９]+")
_SPACE = re.compile(r"\s+")
# A line that is nothing but a page number and its decoration: "76", "—13—", "- 3 -",
# "第 3 页", "第 3 页 共 27 页", "3/27", "Page 3".
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－_~·•.|()（）\[\]【】]*(?:第|[Pp]age)?\s*([0-9０-９]{1,4})\s*页?"
    r"(?:\s*(?:[/／]|共|of)\s*[0-9０-９]{1,4}\s*页?)?[\s\-—–－_~·•.|()（）\[\]【】]*$"
)
# Where a sentence (or a clause that introduces a list) ends; closing quotes and brackets may follow.
_SENTENCE_FINAL = "。！？；：…!?;:"
_CLOSERS = "”’」』）)】》〉\"'"
# Markers that start a list item without a number.
_BULLET = re.compile(r"^[■□●○◆◇▲△★☆▶►※•·\-*]")
# A table-of-contents entry: a dot leader (or a tab) and a page number at the end of the line.
_TOC_ENTRY = re.compile(r"(?:[.．·‥_]{3,}|[…⋯]{2,}|\t)\s*[0-9０-９IVXivx]{1,4}\s*$")
_OPENERS_FOR = {"》": "《", "”": "“", "）": "（", ")": "(", "】": "【", "」": "「", "』": "『"}


@dataclass(frozen=True)
class SizedLine:
    """A line of a page and its type size (any unit, compared only within one page)."""

    text: str
    size: float


@dataclass(frozen=True)
class Layout:
    """The cleaned pages of a document and what the clean-up found.

    `pages[i]` is the text of page i + 1 after clean-up; `labels[i]` its printed page number
    ("" when none was read); `continues[i]` says the last line of page i + 1 runs on into the
    next page, so the two are joined without a line break. `running_header` is the text of a
    running header that is no page number (a handbook's name), "" when there is none.
    """

    pages: tuple[str, ...]
    labels: tuple[str, ...]
    continues: tuple[bool, ...]
    running_header: str = ""
    dropped_lines: int = 0
    joined_breaks: int = 0

    def joined(self) -> tuple[str, tuple[Page, ...]]:
        """The document text and its Page ranges: pages joined by "\\n", or by nothing where a
        line runs on over the page break."""
        pieces: list[str] = []
        pages: list[Page] = []
        start = 0
        for index, text in enumerate(self.pages):
            pages.append(Page(index + 1, start, start + len(text), self.labels[index]))
            pieces.append(text)
            start += len(text)
            if index + 1 < len(self.pages):
                separator = "" if self.continues[index] else "\n"
                pieces.append(separator)
                start += len(separator)
        return "".join(pieces), tuple(pages)


def normalize_page_text(text: str) -> str:
    """Light clean-up of extracted page text; line breaks stay (the chunker reads lines).

    Trailing spaces go, blank lines at the page's start and end go, and letter-spaced
    Chinese lines ("第 一 条 为 规 范") lose the spaces the extractor put between characters. A
    line keeps its spaces when most of its CJK neighbours touch, so "第一章 总则" is unchanged.
    """
    lines = [_join_spaced_cjk(line.rstrip()) for line in text.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def lay_out_pages(page_texts: Sequence[str]) -> Layout:
    """Clean every page, drop running headers, footers and page numbers, join hard line wraps."""
    pages = [normalize_page_text(clean_text(text)).split("\n") if text.strip() else [] for text in page_texts]
    kept, dropped = _strip_furniture(pages)
    labels = _page_labels(dropped)
    running = _running_header(dropped, labels)
    texts, continues, joined = _join_wraps(kept)
    return Layout(
        pages=tuple(texts),
        labels=tuple(labels),
        continues=tuple(continues),
        running_header=running,
        dropped_lines=sum(len(lines) for lines in dropped),
        joined_breaks=joined,
    )


# --- running headers, footers and page numbers -----------------------------------------------


def line_shape(line: str) -> str:
    """A line with whitespace removed and every run of digits as "#": "— 13 —" -> "—#—"."""
    return _DIGITS.sub("#", _SPACE.sub("", line))


def page_number_value(line: str) -> int | None:
    """The number of a line that is only a page number ("—13—" -> 13), else None."""
    match = _PAGE_NUMBER.match(line)
    return int(unicodedata.normalize("NFKC", match.group(1))) if match else None


def _edge_indices(lines: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indices of the first and of the last EDGE_LINES non-blank lines (last ones from the end)."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    return filled[:EDGE_LINES], filled[::-1][:EDGE_LINES]


def _furniture_shapes(pages: Sequence[Sequence[str]]) -> set[str]:
    counts: Counter[str] = Counter()
    for lines in pages:
        top, bottom = _edge_indices(lines)
        counts.update({line_shape(lines[index]) for index in (*top, *bottom)})
    needed = max(RUNNING_MIN_PAGES, math.ceil(RUNNING_MIN_SHARE * len(pages)))
    return {shape for shape, count in counts.items() if count >= needed and shape}


def _strip_furniture(pages: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """Each page without its running lines, and the lines dropped from each (top first).

    Running lines frame a page's text; when dropping them would leave most pages that had text
    empty, the lines are the text (a short document whose pages differ in their digits only),
    and the shape of an emptied page's longest line is taken off the list until that is so.
    """
    shapes = _furniture_shapes(pages)
    with_text = sum(1 for lines in pages if any(line.strip() for line in lines))
    while True:
        kept, dropped = _strip_shapes(pages, shapes)
        emptied = [lines for lines, left in zip(pages, kept) if not left and any(line.strip() for line in lines)]
        if 2 * len(emptied) <= with_text:
            return kept, dropped
        shapes = shapes - {line_shape(max(emptied[0], key=lambda line: len(line.strip())))}


def _strip_shapes(pages: Sequence[Sequence[str]], shapes: set[str]) -> tuple[list[list[str]], list[list[str]]]:
    kept: list[list[str]] = []
    dropped: list[list[str]] = []
    for lines in pages:
        top, bottom = _edge_indices(lines)
        gone: set[int] = set()
        for edge in (top, bottom):
            for index in edge:  # a run from the edge inwards; the first body line ends it
                if line_shape(lines[index]) not in shapes:
                    break
                gone.add(index)
        kept.append(_trim_blank([line for index, line in enumerate(lines) if index not in gone]))
        dropped.append([lines[index] for index in sorted(gone)])
    return kept, dropped


def _trim_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _page_labels(dropped: Sequence[Sequence[str]]) -> list[str]:
    """The printed page number of each page, read from its dropped lines ("" when none).

    Each (line shape, digit group) seen on the pages is a candidate; the printed page number
    is the one that counts up one per page, so a year or a page total never is.
    """
    readings: dict[tuple[str, int], dict[int, int]] = {}
    for page, lines in enumerate(dropped):
        for line in lines:
            shape = line_shape(line)
            for group, match in enumerate(_DIGITS.finditer(line)):
                value = int(unicodedata.normalize("NFKC", match.group(0)))
                readings.setdefault((shape, group), {}).setdefault(page, value)
    best: dict[int, int] = {}
    best_steps = 0
    for values in readings.values():
        pages = sorted(values)
        steps = list(zip(pages, pages[1:]))
        rising = sum(1 for a, b in steps if values[b] - values[a] == b - a)
        if steps and rising >= PAGE_SEQUENCE_MIN_SHARE * len(steps) and rising > best_steps:
            best, best_steps = values, rising
    return [str(best[page]) if page in best else "" for page in range(len(dropped))]


def _running_header(dropped: Sequence[Sequence[str]], labels: Sequence[str]) -> str:
    """The commonest dropped line that is more than a page number, as first printed, without
    the page number it carries ("某某学院 2025 学生手册 76" -> "某某学院 2025 学生手册")."""
    first_seen: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for lines, label in zip(dropped, labels):
        for line in lines:
            if page_number_value(line) is None and sum(char.isalpha() for char in line) >= TITLE_MIN_LETTERS:
                shape = line_shape(line)
                text = line.strip()
                if label and (text.endswith(label) or text.startswith(label)):
                    text = text.removesuffix(label) if text.endswith(label) else text.removeprefix(label)
                first_seen.setdefault(shape, text.strip())
                counts[shape] += 1
    return first_seen[counts.most_common(1)[0][0]] if counts else ""


# --- hard line wraps -------------------------------------------------------------------------


def display_width(line: str) -> float:
    """Width in em: a full-width (CJK) character is 1, anything else half of one."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in line)


def full_line_width(lines: Sequence[str]) -> float | None:
    """The width a line reaches when it runs to the right margin: a high percentile of the
    widths of `lines`, None when there are too few lines to tell."""
    widths = sorted(display_width(line) for line in lines if line.strip())
    if len(widths) < FULL_LINE_MIN_LINES:
        return None
    return widths[min(len(widths) - 1, int(FULL_LINE_PERCENTILE * len(widths)))]


def page_measures(pages: Sequence[Sequence[str]]) -> list[float | None]:
    """The full-line width of every page: its own when it has enough lines of text, else the
    document's."""
    document = full_line_width([line for lines in pages for line in lines])
    measures: list[float | None] = []
    for lines in pages:
        own = full_line_width(lines)
        usable = own is not None and (document is None or own >= PAGE_MEASURE_MIN_SHARE * document)
        measures.append(own if usable else document)
    return measures


def ends_sentence(line: str) -> bool:
    """Whether a line ends a sentence (or a lead-in clause), closing quotes or brackets aside."""
    stripped = line.rstrip().rstrip(_CLOSERS)
    return not stripped or stripped[-1] in _SENTENCE_FINAL


def starts_block(line: str) -> bool:
    """Whether a line starts a heading, a list item or an indented paragraph."""
    if line[:1].isspace():
        return True  # an indented first line ("　　第一条") starts a paragraph
    stripped = line.strip()
    patterns = (*STRUCTURE_PATTERNS.values(), *OUTLINE_PATTERNS.values())
    return any(pattern.match(stripped) for pattern in patterns) or _BULLET.match(stripped) is not None


def wraps_into(line: str, following: str, full: float) -> bool:
    """Whether the break between `line` and `following` is a hard wrap inside a sentence."""
    if not line.strip() or not following.strip():
        return False
    if display_width(line) < FULL_LINE_SHARE * full or ends_sentence(line) or _TOC_ENTRY.search(line):
        return False
    if starts_block(following):
        return False
    if display_width(following) < FULL_LINE_SHARE * full and not ends_sentence(following):
        return False  # a short line that ends no sentence stands alone: a heading such as 目录
    # Chinese text runs on without a space; a break between two Latin words is left alone.
    return bool(_CJK_CHAR.match(line.rstrip()[-1]) or _CJK_CHAR.match(following.lstrip()[0]))


def _join_wraps(pages: Sequence[Sequence[str]]) -> tuple[list[str], list[bool], int]:
    measures = page_measures(pages)
    texts: list[str] = []
    continues: list[bool] = []
    joined = 0
    for index, lines in enumerate(pages):
        full = measures[index]
        text = lines[0] if lines else ""
        for line, following in zip(lines, lines[1:]):
            wraps = full is not None and wraps_into(line, following, full)
            text += following if wraps else "\n" + following
            joined += wraps
        texts.append(text)
        after = pages[index + 1] if index + 1 < len(pages) else []
        runs_on = bool(lines and after and full is not None and wraps_into(lines[-1], after[0], full))
        continues.append(runs_on)
        joined += runs_on
    return texts, continues, joined


# --- titles -----------------------------------------------------------------------------------


def title_like(line: str) -> bool:
    """Whether a line can be a document title: short, no sentence, no label, no page number,
    brackets that open and close on it."""
    line = line.strip()
    letters = sum(char.isalnum() for char in line)
    if not line or len(line) > TITLE_MAX_CHARS or letters < TITLE_MIN_LETTERS:
        return False
    if line.endswith(tuple("。！？!?；;，,")) or page_number_value(line) is not None:
        return False
    if ":" in line or "：" in line:
        return False  # "附件1：", "发文机构：" -- a label and its value, or a lead-in
    return _brackets_balanced(line)


def title_from_lines(lines: Sequence[SizedLine]) -> str | None:
    """The title among a first page's lines: the first block of display lines, else None.

    Display lines are set larger than the page's body text (TITLE_SIZE_RATIO over the median
    size of its characters). A title wrapped over several lines is joined: the following
    display lines of the same size, and any that close a bracket the block left open
    ("教育部印发《关于……" / "……的通知", whatever sizes OCR reads for them). A line drawn twice
    (a doubled title) counts once.
    """
    if not lines:
        return None
    body = _median_size(lines)
    head = [line for line in lines[:TITLE_SEARCH_LINES] if line.text.strip()]
    display = [line.size >= TITLE_SIZE_RATIO * body for line in head]
    for first, line in enumerate(head):
        if not display[first]:
            continue
        block = [line.text.strip()]
        for later in range(first + 1, len(head)):
            text = head[later].text.strip()
            same_size = _same_size(head[later].size, head[later - 1].size)
            if not display[later] or not (same_size or not _brackets_balanced(join_title_lines(block))):
                break
            if text != block[-1]:  # a line drawn twice counts once
                block.append(text)
        following = head[first + len(block)].text.strip() if first + len(block) < len(head) else ""
        # The heading of a promulgation order (国务院令 / 第535号) is a cover: the title comes after it.
        if block[0].endswith("令") and _ORDER_NUMBER.match(block[1] if len(block) > 1 else following):
            block = block[2:]
            if not block:
                continue
        if _ORDER_NUMBER.match(block[0]):
            continue
        # The 版头 of an official document (「XX人民政府办公厅文件」, GB/T 9704) is the issuer's mark, set
        # larger than anything else on the page; the title follows it.
        if len(block) == 1 and ISSUER_MARK.match(block[0]):
            continue
        title = undouble(join_title_lines(block))
        if title_like(title):
            return title
    return None


# "第535号", "第 12 号": the number line under the heading of a promulgation order.
_ORDER_NUMBER = re.compile(r"^[（(]?第\s*[0-9０-９一二三四五六七八九十百千零〇]+\s*号[）)]?$")


def join_title_lines(lines: Sequence[str]) -> str:
    """Lines of one wrapped title as one line: Chinese runs on, Latin words keep a space."""
    title = ""
    for line in lines:
        if title and not (_CJK_CHAR.match(title[-1]) or _CJK_CHAR.match(line[0])):
            title += " "
        title += line
    return title


def undouble(text: str) -> str:
    """A text drawn twice in a row ("标题标题", "标题 标题") as once; anything else unchanged."""
    compact = text.strip()
    half, odd = divmod(len(compact), 2)
    if half and not odd and compact[:half] == compact[half:]:
        return compact[:half]
    if odd and compact[half] == " " and compact[:half] == compact[half + 1 :]:
        return compact[:half]
    return text


def _median_size(lines: Sequence[SizedLine]) -> float:
    """The type size of most characters on the page (each line weighted by its length)."""
    sizes = sorted((line.size, len(line.text.strip())) for line in lines if line.text.strip())
    total = sum(weight for _, weight in sizes)
    running = 0
    for size, weight in sizes:
        running += weight
        if running * 2 >= total:
            return size
    return sizes[-1][0] if sizes else 0.0


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= TITLE_SIZE_TOLERANCE * max(a, b)


def _brackets_balanced(line: str) -> bool:
    """No closing bracket or quote without its opener before it, no opener left open."""
    open_count: Counter[str] = Counter()
    for char in line:
        if char in _OPENERS_FOR.values():
            open_count[char] += 1
        elif char in _OPENERS_FOR:
            opener = _OPENERS_FOR[char]
            if open_count[opener] == 0:
                return False
            open_count[opener] -= 1
    return not any(open_count.values())


def _join_spaced_cjk(line: str) -> str:
    spaced = len(_SPACED_PAIR.findall(line))
    if spaced and spaced >= len(_ADJACENT_PAIR.findall(line)):
        return _SPACED_PAIR.sub("", line)
    return line
