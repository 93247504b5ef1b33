"""PDF files with a text layer, read page by page with pypdf."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from ingest.ocr import OcrOptions, recognise_pdf
from ingest.parsers import document_id
from ingest.parsers.text import first_line_title
from ingest.types import Document, Page, ParseError

log = logging.getLogger(__name__)

__all__ = ["NoTextLayer", "normalize_page_text", "parse_pdf", "parse_scanned_pdf"]

# A page with fewer visible characters than this (a page number, a stamp) counts as empty;
# a PDF whose pages are all empty has no text layer.
NEARLY_EMPTY_PAGE_CHARS = 16
# A complete PDF ends with %%EOF (PDF 32000-1 §7.5.5); readers accept it near, not at, the end.
EOF_MARKER = b"%%EOF"
EOF_SEARCH_BYTES = 8192

# Characters of Chinese running text: CJK ideographs (with extensions A-G and compatibility
# forms), kana, CJK and full-width punctuation, and the quotes, dashes and dots set between them.
_CJK = (
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
)
_SPACED_PAIR = re.compile(f"(?<=[{_CJK}])[ \u00a0]+(?=[{_CJK}])")
_ADJACENT_PAIR = re.compile(f"[{_CJK}](?=[{_CJK}])")
_WORD_TITLE_PREFIX = re.compile(r"^Microsoft (?:Word|PowerPoint|Excel) - ")
# pypdf decrypts RC4 by itself but needs the cryptography package for AES.
_AES_MESSAGE = "{name}: the PDF uses AES encryption, which needs the 'cryptography' package"
# Titles that PDF producers fill in when the author gave none (reportlab writes "untitled").
_PLACEHOLDER_TITLES = {"untitled", "untitled document", "unknown", "无标题", "无标题文档"}


class NoTextLayer(ParseError):
    """Every page is (nearly) empty: a scan. `parse_file` then tries OCR when it is enabled."""


def parse_pdf(path: Path) -> Document:
    """A PDF as one Document: pages joined with "\\n", `pages` mapping each page's text range."""
    name = path.name
    data = path.read_bytes()
    if EOF_MARKER not in data[-EOF_SEARCH_BYTES:]:
        # pypdf may rebuild a cut-off file and return only some pages; refuse instead of
        # silently indexing part of a document.
        raise ParseError(f"{name}: the PDF is truncated or corrupt (no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data))
    except PdfReadError as error:
        raise ParseError(f"{name}: not a valid PDF or the file is corrupt ({error})") from error
    _decrypt(reader, name)

    page_texts: list[str] = []
    failed = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            raw = page.extract_text()
        except FileNotDecryptedError as error:
            raise ParseError(f"{name}: encrypted PDF; it needs a password to open") from error
        except DependencyError as error:
            raise ParseError(_AES_MESSAGE.format(name=name)) from error
        except Exception as error:  # noqa: BLE001 -- one broken page must not lose the whole document
            log.warning("%s: no text from page %d: %s", name, number, error)
            failed += 1
            raw = ""
        page_texts.append(normalize_page_text(raw or ""))
    if not page_texts:
        raise ParseError(f"{name}: the PDF has no pages")
    if failed == len(page_texts):
        raise ParseError(f"{name}: no page of the PDF could be read; the file may be corrupt")
    if all(_visible_chars(page) < NEARLY_EMPTY_PAGE_CHARS for page in page_texts):
        raise NoTextLayer(
            f"{name}: the PDF has no text layer (probably a scanned document) and OCR is off (POLICYKB_OCR)"
        )
    return _paged_document(path, page_texts, _metadata_title(reader))


def parse_scanned_pdf(path: Path, options: OcrOptions) -> Document:
    """A PDF without a text layer, read by OCR; the Document (and so its citations) is marked `ocr`."""
    page_texts = [normalize_page_text(text) for text in recognise_pdf(path, options)]
    if all(_visible_chars(page) < NEARLY_EMPTY_PAGE_CHARS for page in page_texts):
        raise ParseError(f"{path.name}: the PDF has no text layer and OCR found no text on its pages")
    document = _paged_document(path, page_texts, None)
    warning = f"text recognised by OCR (tesseract {options.languages}); check quotations against the scan"
    return replace(document, ocr=True, warnings=(*document.warnings, warning))


def _paged_document(path: Path, page_texts: list[str], title: str | None) -> Document:
    pages: list[Page] = []
    start = 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append(Page(number, start, start + len(page_text)))
        start += len(page_text) + 1  # the "\n" joining pages
    text = "\n".join(page_texts)
    return Document(
        id=document_id(text),
        title=title or first_line_title(text) or path.stem,
        source=str(path),
        kind="pdf",
        text=text,
        pages=tuple(pages),
    )


def normalize_page_text(text: str) -> str:
    """Light clean-up of extracted page text; line breaks stay (the chunker reads lines).

    Trailing spaces go, blank lines at the page's start and end go, and letter-spaced
    Chinese lines ("第 一 条 为 规 范") lose the spaces pypdf put between characters. A line
    keeps its spaces when most of its CJK neighbours touch, so "第一章 总则" is unchanged.
    """
    lines = [_join_spaced_cjk(line.rstrip()) for line in text.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _join_spaced_cjk(line: str) -> str:
    spaced = len(_SPACED_PAIR.findall(line))
    if spaced and spaced >= len(_ADJACENT_PAIR.findall(line)):
        return _SPACED_PAIR.sub("", line)
    return line


def _decrypt(reader: PdfReader, name: str) -> None:
    """Open an encrypted PDF with the empty user password (many are only owner-protected)."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except DependencyError as error:
        raise ParseError(_AES_MESSAGE.format(name=name)) from error
    except (PdfReadError, NotImplementedError) as error:
        raise ParseError(f"{name}: encrypted PDF with an unsupported scheme ({error})") from error
    if not opened:
        raise ParseError(f"{name}: encrypted PDF; it needs a password to open")


def _visible_chars(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def _metadata_title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception as error:  # noqa: BLE001 -- damaged metadata must not cost the document
        log.debug("unreadable PDF metadata: %s", error)
        return None
    if not isinstance(title, str):
        return None
    title = _WORD_TITLE_PREFIX.sub("", " ".join(title.split()))
    if title.lower() in _PLACEHOLDER_TITLES:
        return None
    return title or None
