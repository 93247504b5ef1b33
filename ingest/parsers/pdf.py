"""PDF files with a text layer, read page by page with pdfium (pypdfium2).

pdfium was chosen over pypdf, pdfplumber and pdfminer.six by measurement on real PDFs
(scripts/compare_pdf_extractors.py, docs/benchmarks.md "PDF text extraction"): all of them
keep the same characters, but pdfium is the fastest (8 times pypdf, 15 times pdfplumber on a
176-page handbook, line re-cut included) and already drops text drawn twice for a bold
effect, which pypdf returns as two lines and pdfplumber interleaves ("第第一一条条"); it
also opens AES-encrypted files without an extra package. Its one fault, headings glued onto
the line above, is mended here by re-cutting lines by position (`_page_lines`). The page
texts then go through `pdf_layout` (running headers and page numbers out, printed page
numbers kept as labels, hard line wraps joined) before they are joined into one Document."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.normalize import clean_text
from ingest.ocr import PDFIUM_LOCK, OcrOptions, OcrPage, recognise_pdf, strip_chrome
from ingest.parsers import document_id
from ingest.parsers.pdf_layout import (
    Layout,
    SizedLine,
    lay_out_pages,
    normalize_page_text,
    title_from_lines,
    title_like,
    undouble,
)
from ingest.types import Document, ParseError

if TYPE_CHECKING:  # pypdfium2 is imported when a PDF is read: without it only PDF files fail
    import pypdfium2

log = logging.getLogger(__name__)

__all__ = ["NoTextLayer", "choose_title", "extract_page_texts", "normalize_page_text", "parse_pdf",
           "parse_scanned_pdf"]

# A page with fewer visible characters than this (a page number, a stamp) counts as empty;
# a PDF whose pages are all empty has no text layer.
NEARLY_EMPTY_PAGE_CHARS = 16
# A complete PDF ends with %%EOF (PDF 32000-1 §7.5.5); readers accept it near, not at, the end.
EOF_MARKER = b"%%EOF"
EOF_SEARCH_BYTES = 8192
# OCR'd lines below this mean word confidence are not trusted to be a title.
TITLE_MIN_CONFIDENCE = 80.0
# Titles that PDF producers fill in when the author gave none (reportlab writes "untitled").
_PLACEHOLDER_TITLES = {"untitled", "untitled document", "unknown", "无标题", "无标题文档"}
_WORD_TITLE_PREFIX = ("Microsoft Word - ", "Microsoft PowerPoint - ", "Microsoft Excel - ")


class NoTextLayer(ParseError):
    """Every page is (nearly) empty: a scan. `parse_file` then tries OCR when it is enabled."""


def parse_pdf(path: Path) -> Document:
    """A PDF as one Document: cleaned pages joined, `pages` mapping each page's text range."""
    name = path.name
    data = path.read_bytes()
    if EOF_MARKER not in data[-EOF_SEARCH_BYTES:]:
        # A reader may rebuild a cut-off file and return only some pages; refuse instead of
        # silently indexing part of a document.
        raise ParseError(f"{name}: the PDF is truncated or corrupt (no end-of-file marker)")
    page_texts, first_lines, metadata_title, failed = extract_page_texts(data, name)
    if not page_texts:
        raise ParseError(f"{name}: the PDF has no pages")
    if failed == len(page_texts):
        raise ParseError(f"{name}: no page of the PDF could be read; the file may be corrupt")
    if all(_visible_chars(page) < NEARLY_EMPTY_PAGE_CHARS for page in page_texts):
        raise NoTextLayer(
            f"{name}: the PDF has no text layer (probably a scanned document) and OCR is off (POLICYKB_OCR)"
        )
    layout = lay_out_pages(page_texts)
    log.debug("%s: %d furniture lines dropped, %d line wraps joined", name, layout.dropped_lines,
              layout.joined_breaks)
    title = choose_title(first_lines, metadata_title, layout)
    return _paged_document(path, layout, title)


def extract_page_texts(data: bytes, name: str) -> tuple[list[str], list[SizedLine], str | None, int]:
    """(text of every page, the sized lines of the first page with text, the metadata title,
    how many pages failed). A page that fails is logged and stays an empty page."""
    with PDFIUM_LOCK:
        pdf = _open(data, name)
        try:
            texts: list[str] = []
            first_lines: list[SizedLine] = []
            failed = 0
            for index in range(len(pdf)):
                try:
                    text, lines = _read_page(pdf, index, sized=not first_lines)
                except Exception as error:  # noqa: BLE001 -- one broken page must not lose the whole document
                    log.warning("%s: no text from page %d: %s", name, index + 1, error)
                    failed += 1
                    text, lines = "", []
                texts.append(text)
                if not first_lines and _visible_chars(text) >= NEARLY_EMPTY_PAGE_CHARS:
                    first_lines = lines
            return texts, first_lines, _metadata_title(pdf), failed
        finally:
            pdf.close()


def parse_scanned_pdf(path: Path, options: OcrOptions) -> Document:
    """A PDF without a text layer, read by OCR; the Document (and so its citations) is marked `ocr`.

    A scanned web page's chrome (navigation, site footer) is left out, and so are running
    headers and footers; the title is the first display line after the chrome.
    """
    result = recognise_pdf(path, options)
    pages, chrome = strip_chrome(result.pages)
    page_texts = [page.text for page in pages]
    if all(_visible_chars(page) < NEARLY_EMPTY_PAGE_CHARS for page in page_texts):
        raise ParseError(f"{path.name}: the PDF has no text layer and OCR found no text on its pages")
    layout = lay_out_pages(page_texts)
    log.debug("%s: %d chrome and %d furniture lines dropped, %d line wraps joined", path.name, chrome,
              layout.dropped_lines, layout.joined_breaks)
    title = choose_title(_ocr_title_lines(pages), None, layout)
    document = _paged_document(path, layout, title)
    confidence = "" if result.confidence is None else f", mean word confidence {result.confidence:.0f}"
    warning = (f"text recognised by OCR (tesseract {options.languages}{confidence}); "
               "check quotations against the scan")
    return replace(document, ocr=True, ocr_confidence=result.confidence,
                   warnings=(*document.warnings, warning))


def choose_title(first_lines: Sequence[SizedLine], metadata: str | None, layout: Layout) -> str | None:
    """The document's title, from its own first page before its metadata.

    In order: the first page's display line (set larger than its body text: what the reader
    sees as the title); the metadata title when the first page prints it too; a running header
    that is no page number (a handbook's name on every page); the metadata title; the first
    line of the text when it reads as a title. Metadata is often stale (a template's title left
    in by WPS or Word), so it only wins over the page when the page has no larger type to go by.
    """
    display = title_from_lines(first_lines)
    if display:
        return display
    first_page = next((page for page in layout.pages if page.strip()), "")
    if metadata and _squeeze(metadata) in _squeeze(first_page):
        return metadata
    if layout.running_header and title_like(layout.running_header):
        return layout.running_header
    if metadata:
        return metadata
    for line in first_page.split("\n"):
        if line.strip():
            return undouble(line.strip(" \t\u3000")) if title_like(line) else None
    return None


def _open(data: bytes, name: str) -> pypdfium2.PdfDocument:
    """The document opened with the empty user password (many PDFs are only owner-protected)."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        code = getattr(error, "err_code", None)  # pdfium's load errors (fpdfview.h FPDF_ERR_*)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ParseError(f"{name}: encrypted PDF; it needs a password to open") from error
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise ParseError(f"{name}: encrypted PDF with an unsupported scheme ({error})") from error
        raise ParseError(f"{name}: not a valid PDF or the file is corrupt ({error})") from error


def _read_page(pdf: pypdfium2.PdfDocument, index: int, sized: bool) -> tuple[str, list[SizedLine]]:
    """The page's text and, when `sized`, its lines with their type sizes."""
    page = pdf[index]
    textpage = page.get_textpage()
    try:
        lines = _page_lines(textpage)
    finally:
        textpage.close()
        page.close()
    text = "\n".join(chars for chars, _ in lines)
    if not sized:
        return text, []
    sized_lines = [SizedLine(normalize_page_text(clean_text(chars)), _median(heights))
                   for chars, heights in lines]
    return text, [line for line in sized_lines if line.text.strip()]


def _page_lines(textpage: pypdfium2.PdfTextPage) -> list[tuple[str, list[float]]]:
    """The page's lines in pdfium's reading order, each with the heights of its characters.

    pdfium starts a new line only when the text moves down *and back left*; a heading centred
    under the short last line of a paragraph stays on that line ("……一档。 第五章 评审程序":
    115 headings glued on in a 176-page handbook). So a line also ends where a character no
    longer sits on it: its vertical centre is outside the loose box (the font's ascent to
    descent) of the line's first character. Loose-box heights are also the type size: a title
    set in 22 pt stands out from 16 pt text whatever the producer's text matrix.
    """
    import pypdfium2.raw as pdfium_c

    lines: list[tuple[str, list[float]]] = []
    chars: list[str] = []
    heights: list[float] = []
    band: tuple[float, float] | None = None

    def end_line() -> None:
        while chars and chars[-1] == " ":
            chars.pop()
        # pdfium counts a character outside the BMP (𠀀) as its two UTF-16 surrogates.
        text = "".join(chars).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        lines.append((text, list(heights)))
        chars.clear()
        heights.clear()

    for index in range(textpage.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index))
        if char == "\r":
            continue
        if char == "\n":
            end_line()
            band = None
            continue
        if char.isspace() or pdfium_c.FPDFText_IsGenerated(textpage.raw, index) == 1:
            chars.append(char)
            continue
        _, bottom, _, top = textpage.get_charbox(index, loose=True)
        if band is not None and not band[0] <= (bottom + top) / 2 <= band[1]:
            end_line()
            band = None
        if band is None:
            band = (bottom, top)
        chars.append(char)
        heights.append(top - bottom)
    if chars:
        end_line()
    return lines


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _ocr_title_lines(pages: Sequence[OcrPage]) -> list[SizedLine]:
    """The confidently read lines of the first page with text, sized by their word height."""
    for page in pages:
        confident = [line for line in page.lines
                     if line.confidence is not None and line.confidence >= TITLE_MIN_CONFIDENCE]
        lines = [SizedLine(normalize_page_text(clean_text(line.text)), float(line.height))
                 for line in confident]
        if sum(_visible_chars(line.text) for line in lines) >= NEARLY_EMPTY_PAGE_CHARS:
            return lines
    return []


def _paged_document(path: Path, layout: Layout, title: str | None) -> Document:
    text, pages = layout.joined()
    return Document(
        id=document_id(text),
        title=title or path.stem,
        source=str(path),
        kind="pdf",
        text=text,
        pages=pages,
    )


def _visible_chars(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def _squeeze(text: str) -> str:
    return "".join(clean_text(text).split())


def _metadata_title(pdf: pypdfium2.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_value("Title")
    except Exception as error:  # noqa: BLE001 -- damaged metadata must not cost the document
        log.debug("unreadable PDF metadata: %s", error)
        return None
    title = " ".join(clean_text(title or "").split())
    for prefix in _WORD_TITLE_PREFIX:
        title = title.removeprefix(prefix)
    if title.lower() in _PLACEHOLDER_TITLES:
        return None
    return title or None
