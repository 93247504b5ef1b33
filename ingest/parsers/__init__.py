"""File parsers: one plain function `Path -> Document` per file type, registered by suffix.

`parse_file` is the entry point: it checks the file before parsing and turns every failure,
including crashes inside the parsing libraries, into a ParseError with a message for the user.

Each parser imports its libraries (lxml, trafilatura, python-docx, pypdfium2, openpyxl …) where it
uses them, not when this package is imported: a library that is missing or broken fails only the
files that need it, with a message naming what to install, and every other file type still works.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.official import read_official
from ingest.ocr import OcrOptions
from ingest.types import Document, ParseError

log = logging.getLogger(__name__)

__all__ = ["PARSERS", "check_file", "document_id", "parse_file"]

_TABLES = ("catalogue", "register")  # rows are records; a table states no 文号 or date of its own
# Import names whose package on PyPI is called otherwise.
_DISTRIBUTIONS = {"docx": "python-docx", "yaml": "pyyaml"}


def document_id(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of the UTF-8 text: same text, same id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# The parser modules import document_id from this package, so they are imported after it.
from ingest.parsers.catalogue import parse_catalogue
from ingest.parsers.docx import parse_docx
from ingest.parsers.html import parse_html
from ingest.parsers.legacy_word import parse_legacy_word
from ingest.parsers.ofd import parse_ofd
from ingest.parsers.pdf import NoTextLayer, parse_pdf, parse_scanned_pdf
from ingest.parsers.text import parse_text

PARSERS: dict[str, Callable[[Path], Document]] = {
    ".pdf": parse_pdf,
    ".docx": parse_docx,
    ".ofd": parse_ofd,
    ".doc": parse_legacy_word,
    ".wps": parse_legacy_word,
    ".html": parse_html,
    ".htm": parse_html,
    ".txt": parse_text,
    ".md": parse_text,
    ".markdown": parse_text,
    ".csv": parse_catalogue,
    ".xlsx": parse_catalogue,
    ".json": parse_catalogue,
    ".yaml": parse_catalogue,
    ".yml": parse_catalogue,
}


def check_file(path: Path, max_bytes: int | None = None) -> Callable[[Path], Document]:
    """The parser for `path`, after the checks that need no parsing (type, existence, size).

    Raises ParseError naming the file, so unsupported or oversized files are refused
    before a byte of them is read.
    """
    name = path.name
    suffix = path.suffix.lower()
    parser = PARSERS.get(suffix)
    if parser is None:
        supported = ", ".join(sorted(PARSERS))
        raise ParseError(f"{name}: unsupported file type {suffix or '(no suffix)'!r}; supported: {supported}")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ParseError(f"{name}: file not found") from None
    except OSError as error:
        raise ParseError(f"{name}: cannot read the file ({error.strerror or error})") from error
    if not path.is_file():
        raise ParseError(f"{name}: not a regular file")
    if max_bytes is not None and size > max_bytes:
        raise ParseError(f"{name}: file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)")
    if size == 0:
        raise ParseError(f"{name}: file is empty (0 bytes)")
    return parser


def parse_file(path: Path, max_bytes: int | None = None, ocr: OcrOptions | None = None) -> Document:
    """Parse one file with the parser for its suffix; every failure is a ParseError naming the file.

    A PDF without a text layer is read by OCR when `ocr` is given and enabled.
    """
    path = Path(path)
    name = path.name
    parser = check_file(path, max_bytes)
    try:
        try:
            document = parser(path)
        except NoTextLayer:
            if ocr is None or not ocr.enabled:
                raise
            document = parse_scanned_pdf(path, ocr)
    except ParseError:
        raise
    except ImportError as error:  # a library this file type needs: only files of this type fail
        raise ParseError(f"{name}: {_missing_library(path.suffix.lower(), error)}") from error
    except OSError as error:
        raise ParseError(f"{name}: cannot read the file ({error.strerror or error})") from error
    except Exception as error:  # a crash inside pypdf, python-docx, lxml … means a damaged file
        log.warning("parsing %s failed", path, exc_info=True)
        raise ParseError(f"{name}: cannot be parsed, the file may be corrupt ({_reason(error)})") from error

    if not document.text.strip():
        raise ParseError(f"{name}: no text found in the file")
    if document.kind not in _TABLES and document.official.is_empty():
        document = replace(document, official=read_official(document.text, document.title))
    return document


def _missing_library(suffix: str, error: ImportError) -> str:
    """What reading `suffix` files needs, from the ImportError its parser raised."""
    reason = f"{type(error).__name__}: {' '.join(str(error).split())}"  # whole: it may say what to install
    if error.name is None:  # raised by the library itself (lxml.html.clean: "now a separate project …")
        return f"reading {suffix} files needs a library that cannot be imported ({reason})"
    module = error.name.partition(".")[0]
    package = _DISTRIBUTIONS.get(module, module)
    return (f"reading {suffix} files needs the Python package {package}, which cannot be imported "
            f"({reason}); install it with: pip install {package}")


def _reason(error: Exception) -> str:
    """A one-line reason for a library exception, short enough for a per-file message."""
    detail = " ".join(str(error).split())
    if len(detail) > 120:
        detail = detail[:117] + "..."
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
