"""Text for scanned PDFs: pages rendered with pdfium, recognised by tesseract (Simplified Chinese).

Both are optional (the `ocr` extra: pypdfium2 and pytesseract, plus the tesseract program
with its `chi_sim` data, e.g. Debian's tesseract-ocr and tesseract-ocr-chi-sim). When one
is missing the PDF is reported with a message naming what to install, never dropped
silently. Documents read this way are marked, and so are their citations, because
recognition makes mistakes a reader should know about.

Tesseract is asked for its word table (`image_to_data`), not plain text: the same single
recognition pass gives every word's confidence and box. The confidences give the document's
mean word confidence (`Document.ocr_confidence`), and confidence and geometry together tell
page chrome from text: a scanned web page starts with the site's navigation bar, short
items far apart, Latin words among the Chinese, logos read as noise (`navigation_like`).
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.types import ParseError

log = logging.getLogger(__name__)

__all__ = [
    "PDFIUM_LOCK", "OcrLine", "OcrOptions", "OcrPage", "OcrResult", "OcrUnavailable", "check_available",
    "is_noise", "lines_from_tsv", "navigation_like", "recognise_pdf", "strip_chrome",
]

INSTALL_HINT = (
    "install tesseract with its Simplified Chinese data (Debian: apt-get install tesseract-ocr "
    "tesseract-ocr-chi-sim) and pip install 'policykb[ocr]'"
)

# pdfium is not thread-safe (pypdfium2's documentation: one thread at a time per process), and
# the server may parse two uploads at once; every use of pdfium in ingest holds this lock.
PDFIUM_LOCK = threading.Lock()

# --- what page chrome looks like to tesseract (measured on five scanned web pages, see
# docs/benchmarks.md "Scanned pages") ----------------------------------------------------------
# Below this mean word confidence a line is no text tesseract could read: a logo, a seal, a QR
# code. On the scans, text lines score 78-97 and such noise 0-60.
NOISE_CONFIDENCE = 60.0
# A gap between two words wider than this many line heights separates two items (menu
# entries, table cells); words of running Chinese text are set closer than a third of one.
ITEM_GAP_HEIGHTS = 1.0
# A line of at least this many separate items, each no longer than ITEM_MAX_CHARS, is a bar.
BAR_MIN_ITEMS = 3
ITEM_MAX_CHARS = 8
# Characters drawn between navigation entries and breadcrumb steps ("首页 > 政务公开").
_SEPARATORS = re.compile(r"[|｜丨>›»_]")
# Punctuation of running text (a menu, a breadcrumb or a site footer has none of these).
_CLAUSE_PUNCTUATION = re.compile(r"[，。；！？]")
# A page's text starts at a line set this much larger than its body text (the title) ...
DISPLAY_HEIGHT_RATIO = 1.15
# ... and read with at least this confidence ...
DISPLAY_MIN_CONFIDENCE = 80.0
# ... and the lines before it are chrome when at least this many have a navigation shape.
CHROME_MIN_LINES = 2
# "发文机构：" -- a row of a page's information table, never a title.
_LABEL = re.compile(r"[:：]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A character of Chinese text: two recognised words are joined without a space when either
# side of the join is one (tesseract splits Chinese into "words" wherever it likes).
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")


@dataclass(frozen=True)
class OcrOptions:
    """How scanned PDFs are read; `enabled=False` reports them instead of recognising them."""

    enabled: bool = True
    languages: str = "chi_sim"
    dpi: int = 300
    max_pages: int = 50
    command: str = "tesseract"


@dataclass(frozen=True)
class OcrLine:
    """One line as tesseract found it: its words joined, their confidences, where it sits (pixels).

    `confidence` is the mean of the words' confidences (0-100), None when tesseract scored
    none of them. `height` is the median word height, i.e. the type size. `items` counts the
    runs of words separated by wide gaps (1 for a line of text, several for a menu bar or a row
    of table cells).
    """

    text: str
    confidence: float | None
    left: int
    top: int
    width: int
    height: int
    items: int = 1


@dataclass(frozen=True)
class OcrPage:
    """The lines of one page, in tesseract's reading order, and the page's size in pixels."""

    lines: tuple[OcrLine, ...]
    width: int = 0
    height: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class OcrResult:
    """Every page recognised, the mean confidence over all their scored words (None if none),
    and how many words were scored."""

    pages: tuple[OcrPage, ...]
    confidence: float | None
    words: int = 0


class OcrUnavailable(ParseError):
    """OCR was needed but a part of it is not installed; the message says which."""


def _missing(name: str, what: str) -> OcrUnavailable:
    return OcrUnavailable(f"{name}: the PDF has no text layer (probably scanned) and OCR is not available: "
                          f"{what}; {INSTALL_HINT}")


def check_available(options: OcrOptions, name: str) -> None:
    """Raise OcrUnavailable naming the missing piece: Python packages, the program, or its language data."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError as error:
        raise _missing(name, f"the Python package {error.name!r} is missing") from None
    if shutil.which(options.command) is None:
        raise _missing(name, f"the tesseract program ({options.command!r}) was not found")
    pytesseract.pytesseract.tesseract_cmd = options.command
    installed = set(pytesseract.get_languages(config=""))
    wanted = [lang for lang in options.languages.split("+") if lang]
    absent = [lang for lang in wanted if lang not in installed]
    if absent:
        raise _missing(name, f"tesseract has no data for {', '.join(absent)} (it has {', '.join(sorted(installed))})")


def recognise_pdf(path: Path, options: OcrOptions) -> OcrResult:
    """Every page of `path` recognised, in page order, with tesseract's word confidences."""
    import pypdfium2
    import pytesseract

    name = path.name
    check_available(options, name)
    with PDFIUM_LOCK:
        try:
            pdf = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as error:
            raise ParseError(f"{name}: the scanned PDF cannot be rendered for OCR ({error})") from error
    try:
        if len(pdf) > options.max_pages:
            raise ParseError(
                f"{name}: the scanned PDF has {len(pdf)} pages; OCR reads at most {options.max_pages} "
                "(setting POLICYKB_OCR_MAX_PAGES)"
            )
        pages: list[OcrPage] = []
        confidences: list[float] = []
        for number in range(len(pdf)):
            with PDFIUM_LOCK:
                page = pdf[number]
                try:
                    image = page.render(scale=options.dpi / 72).to_pil()
                finally:
                    page.close()
            log.info("%s: recognising page %d of %d", name, number + 1, len(pdf))
            try:
                table = pytesseract.image_to_data(image, lang=options.languages)
            except pytesseract.TesseractError as error:
                raise ParseError(f"{name}: OCR failed on page {number + 1} ({error.message})") from error
            lines, scores = lines_from_tsv(table)
            pages.append(OcrPage(lines, image.width, image.height))
            confidences += scores
        mean = statistics.fmean(confidences) if confidences else None
        return OcrResult(tuple(pages), mean, len(confidences))
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def lines_from_tsv(table: str) -> tuple[tuple[OcrLine, ...], list[float]]:
    """The lines of tesseract's TSV word table, and the confidence of every scored word.

    Words keep tesseract's block/paragraph/line grouping and order. A word scored -1 (tesseract
    gives no score to some) counts for neither the line's nor the page's mean.
    """
    words: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in csv.DictReader(table.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") == "5" and (row.get("text") or "").strip():
            words.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    lines: list[OcrLine] = []
    scores: list[float] = []
    for group in words.values():
        line_scores = [score for score in (_number(word["conf"]) for word in group) if score >= 0]
        scores += line_scores
        lines.append(_line(group, line_scores))
    return tuple(lines), scores


def _line(group: list[dict[str, str]], scores: list[float]) -> OcrLine:
    boxes = [(int(w["left"]), int(w["top"]), int(w["width"]), int(w["height"])) for w in group]
    text = ""
    for word in group:
        piece = word["text"].strip()
        if text and not (_WIDE.match(text[-1]) or _WIDE.match(piece[0])):
            text += " "
        text += piece
    left = min(box[0] for box in boxes)
    top = min(box[1] for box in boxes)
    right = max(box[0] + box[2] for box in boxes)
    # The median word height is the type size; the union of the boxes grows with every quote
    # mark or descender that sticks out.
    height = statistics.median(box[3] for box in boxes)
    ordered = sorted(boxes)
    gaps = sum(1 for a, b in zip(ordered, ordered[1:]) if b[0] - (a[0] + a[2]) > ITEM_GAP_HEIGHTS * height)
    return OcrLine(text, statistics.fmean(scores) if scores else None, left, top, right - left, round(height),
                   gaps + 1)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return -1.0


# --- page chrome ----------------------------------------------------------------------------


def is_noise(line: OcrLine) -> bool:
    """A line tesseract could not read: a logo, a seal, a QR code (see NOISE_CONFIDENCE)."""
    return line.confidence is None or line.confidence < NOISE_CONFIDENCE


def navigation_like(line: OcrLine) -> bool:
    """Whether a line has the shape of a web page's chrome rather than of the document's text.

    The shapes, not the words, of a site's top and bottom bars: separators between entries
    ("登录 | 注册", "首页 > 政务公开", "标题_网站名"; tesseract reads the breadcrumb arrow and
    the bars between links as a lone 》 or ”), Latin words among the Chinese ("Languages
    微言教育", "浙里办 APP", "京ICP备"), several short items set far apart on one line (a menu
    bar), or no Chinese at all (a URL).
    """
    text = line.text
    if _SEPARATORS.search(text) or _closes_unopened(text, "《", "》") or _closes_unopened(text, "“", "”"):
        return True
    if _HAN.search(text) and _LATIN_WORD.search(text):
        return True
    if line.items >= BAR_MIN_ITEMS and len(_strip_spaces(text)) <= ITEM_MAX_CHARS * line.items:
        return True
    return not _HAN.search(text)


def strip_chrome(pages: Sequence[OcrPage]) -> tuple[list[OcrPage], int]:
    """The pages without the chrome of a scanned web page, and how many lines went.

    Chrome frames a printed web page; it never interrupts it. So only two regions are looked
    at: the lines of the first page before its text starts and those of the last page after
    its text ends. Text starts at the first display line (set larger than the body: the title)
    or the first two lines of running text in a row (clause punctuation, no separators or
    Latin words); it ends after the last such pair. A region goes when at least
    CHROME_MIN_LINES of its lines have a navigation shape, so a paper scan keeps the
    signature and date below its last paragraph. Lines of noise go wherever they are.
    """
    result = [[line for line in page.lines if not is_noise(line)] for page in pages]
    dropped = sum(len(page.lines) for page in pages) - sum(len(lines) for lines in result)
    if result:
        first = result[0]
        start = _text_start(first, _body_height(first))
        if start is not None and sum(map(navigation_like, first[:start])) >= CHROME_MIN_LINES:
            dropped += start
            del first[:start]
        last = result[-1]
        end = _text_end(last)
        if end is not None and sum(map(navigation_like, last[end:])) >= CHROME_MIN_LINES:
            dropped += len(last) - end
            del last[end:]
    stripped = [OcrPage(tuple(lines), page.width, page.height) for lines, page in zip(result, pages)]
    return stripped, dropped


def _prose(line: OcrLine) -> bool:
    """A line of running text: clause punctuation and no separators. (A quote mark may close
    on the line after it opened, and body text cites SCI or ISO, so neither is evidence here.)"""
    return bool(_CLAUSE_PUNCTUATION.search(line.text)) and not _SEPARATORS.search(line.text)


def _display(line: OcrLine, body: float) -> bool:
    """A confidently read line set larger than the body text, and no "label: value" row."""
    return (body > 0 and line.height >= DISPLAY_HEIGHT_RATIO * body and line.confidence is not None
            and line.confidence >= DISPLAY_MIN_CONFIDENCE and not _LABEL.search(line.text)
            and not navigation_like(line))


def _text_start(lines: Sequence[OcrLine], body: float) -> int | None:
    for index, line in enumerate(lines):
        if _display(line, body) or (_prose(line) and index + 1 < len(lines) and _prose(lines[index + 1])):
            return index
    return None


def _text_end(lines: Sequence[OcrLine]) -> int | None:
    """Just after the last two lines of running text in a row (else after the last one)."""
    for index in range(len(lines) - 1, 0, -1):
        if _prose(lines[index]) and _prose(lines[index - 1]):
            return index + 1
    single = [index for index, line in enumerate(lines) if _prose(line)]
    return single[-1] + 1 if single else None


def _body_height(lines: Sequence[OcrLine]) -> float:
    """The type size of most characters on the page (lines weighted by their length)."""
    sized = sorted((line.height, len(line.text)) for line in lines)
    total = sum(weight for _, weight in sized)
    running = 0
    for height, weight in sized:
        running += weight
        if 2 * running >= total:
            return float(height)
    return 0.0


def _closes_unopened(text: str, opener: str, closer: str) -> bool:
    depth = 0
    for char in text:
        if char == opener:
            depth += 1
        elif char == closer:
            if depth == 0:
                return True
            depth -= 1
    return False


def _strip_spaces(text: str) -> str:
    return "".join(text.split())
