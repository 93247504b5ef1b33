"""Legacy Word .doc and WPS .wps files: converted to .docx by LibreOffice, then read as DOCX.

No Python library reads the binary Word format (MS-DOC) well, and WPS Office's .wps files are
the same binary format under another suffix. LibreOffice converts both faithfully, automatic
numbering and heading styles included, so the DOCX parser sees what Word would show. It is
not a Python dependency: without it these files are reported with what to install.

LibreOffice imports anything it does not recognise as plain text, so a damaged file would
come back as a page of mojibake. The file's bytes are therefore checked first, and a binary
Word file is converted with Word's import filter named, which fails on damage instead.
"""

from __future__ import annotations

import dataclasses
import logging
import mmap
from pathlib import Path

from ingest.libreoffice import (
    DEFAULT_TIMEOUT,
    INSTALL_HINT,
    LibreOfficeFailed,
    LibreOfficeMissing,
    LibreOfficeTimeout,
    convert_with_libreoffice,
)
from ingest.parsers.docx import parse_docx
from ingest.types import Document, ParseError

log = logging.getLogger(__name__)

__all__ = ["parse_legacy_word"]

DOCX_TARGET = "docx:MS Word 2007 XML"
_SNIFF_BYTES = 1024
# The compound-file (OLE2) signature: Word 6 to 2003 .doc, WPS Office .wps, Microsoft Works.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names as a compound file's directory stores them (UTF-16LE): "WordDocument" holds
# the text of Word and WPS Office files (MS-DOC 2.1), "CONTENTS" that of Microsoft Works files.
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_WORKS_STREAM = "CONTENTS".encode("utf-16-le")
_ZIP_SIGNATURE = b"PK\x03\x04"  # a .docx saved under the old suffix
_RTF_SIGNATURE = b"{\\rtf"
# LibreOffice's import filters, tried in turn: each Word filter reads only its own versions of
# the binary format (Word 97-2003 first: nearly every .doc and every WPS Office file).
_WORD_FILTERS = ("MS Word 97", "MS Word 95", "MS WinWord 6.0")
_WORKS_FILTERS = ("MS_Works",)


def parse_legacy_word(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Document:
    """A .doc or .wps file as a Document of kind "doc" or "wps", read via a LibreOffice .docx conversion.

    `source` is the original file; the title is the DOCX parser's (document properties, else
    the first heading), else the original file's stem. Raises ParseError naming the file when
    it holds no Word document, LibreOffice is missing, or the conversion fails or takes longer
    than `timeout` seconds.
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".") or "doc"
    content = _sniff(path)
    if content == "docx":
        log.debug("%s is a DOCX file under the .%s suffix", path.name, kind)
        return dataclasses.replace(parse_docx(path), kind=kind)

    # RTF and markup (web pages, Word 2003 XML saved as .doc) are text: LibreOffice detects them.
    filters: tuple[str | None, ...] = {"word": _WORD_FILTERS, "works": _WORKS_FILTERS}.get(content, (None,))
    failures: list[LibreOfficeFailed] = []
    for infilter in filters:
        try:
            return _convert_and_parse(path, kind, timeout, infilter)
        except LibreOfficeMissing as error:
            needs = f"reading .{kind} files needs LibreOffice ({INSTALL_HINT}), or save the file as .docx"
            message = f"{path.name}: {needs}"
            raise ParseError(message) from error
        except LibreOfficeTimeout as error:
            message = f"{path.name}: LibreOffice could not convert the file ({error.reason})"
            raise ParseError(message) from error
        except LibreOfficeFailed as error:
            log.debug("LibreOffice could not convert %s with filter %s: %s", path, infilter, error)
            failures.append(error)
    first = failures[0]  # the most likely filter's reason; the others failed the same way or worse
    log.info("LibreOffice could not convert %s: %s", path, first)
    message = f"{path.name}: LibreOffice could not convert the file ({first.reason}); the file may be corrupt"
    raise ParseError(message) from first


def _convert_and_parse(path: Path, kind: str, timeout: float, infilter: str | None) -> Document:
    with convert_with_libreoffice(path, DOCX_TARGET, timeout, infilter=infilter) as converted:
        try:
            document = parse_docx(converted)
        except ParseError as error:
            # its message names the temporary file ("input.docx: ..."); name the user's file
            detail = str(error).removeprefix(f"{converted.name}:").strip()
            message = f"{path.name}: LibreOffice's .docx conversion cannot be read ({detail})"
            raise ParseError(message) from error
        temporary_stem = converted.stem
    title = document.title
    if not title or title == temporary_stem:  # no title in the file: parse_docx fell back to the temp name
        title = path.stem
    return dataclasses.replace(document, title=title, source=str(path), kind=kind)


def _sniff(path: Path) -> str:
    """What the file holds, from its bytes: "word", "works", "docx", "rtf" or "markup" (HTML, XML, MHT).

    Raises ParseError for anything else, including a compound file without a text stream
    (a damaged file, or a spreadsheet or presentation under the wrong suffix).
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head.startswith(_OLE_SIGNATURE):
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data.find(_WORD_STREAM) >= 0:
                    return "word"
                if data.find(_WORKS_STREAM) >= 0:
                    return "works"
            raise ParseError(
                f"{path.name}: not a valid Word document (an Office compound file without Word's text "
                "stream; the file may be corrupt, or be a spreadsheet or presentation)"
            )
    if head.startswith(_ZIP_SIGNATURE):
        return "docx"
    if head.startswith(_RTF_SIGNATURE):
        return "rtf"
    if _is_markup(head):  # web pages saved with a .doc suffix are common on government sites
        return "markup"
    raise ParseError(
        f"{path.name}: not a Word document (neither Word's binary format nor RTF, DOCX or HTML; "
        "the file may be corrupt)"
    )


def _is_markup(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    text = text.lstrip()
    return text.startswith("<") or text[:13].lower() == "mime-version:"
