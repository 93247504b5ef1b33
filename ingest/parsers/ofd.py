"""OFD files (GB/T 33190-2016, the fixed-layout format Chinese government bodies publish in),
read straight from the package with zipfile and lxml.

An OFD file is a ZIP package: `OFD.xml` (the entry) names each document's `Document.xml` in
`DocBody/DocRoot`; that lists the pages (`Pages/Page@BaseLoc`), each page a `Content.xml`
whose layers hold `TextObject`s (a `Boundary` "x y w h" in millimetres on the page, a type
`Size`, an optional `CTM`) with `TextCode`s: characters drawn from the point (X, Y) of the
object, the next ones `DeltaX`/`DeltaY` further on. Page templates
(`CommonData/TemplatePage`, referenced by a page's `Template`) are drawn on the page too.
The characters are placed on the page, grouped into lines by their baselines (top to bottom,
then left to right, whatever order the XML writes them in: producers write objects in drawing
order, and a page's text can be one object per character), and the page texts then go
through `pdf_layout` like a PDF's: running headers and page numbers ("— 2 —") out, printed
numbers kept as page labels, hard line wraps joined into paragraphs. Annotations, seals and
the text inside images (a scanned OFD) are not read.

Why not a library: easyofd (the one OFD reader on PyPI, Apache-2.0, version 20260427) was
measured on OFD files built like the ones in tests/ingest/test_ofd.py. It does give each
page's text offline, but:
- `import easyofd.parser_ofd` imports PyMuPDF (AGPL-3.0, 116 MB installed, with
  pymupdf4llm, pymupdf_layout, loguru, xmltodict and pyasn1): even as an optional extra it
  would put AGPL code into this MIT project's server process;
- it writes the uploaded file and an unpacked copy into the current working directory
  (left there when parsing fails), unpacks every member with no size limit (a zip bomb
  fills the disk), prints to stdout and logs font warnings through loguru at import;
- damaged files fail with a bare AssertionError or ExpatError, not a reason.
Reading the package directly takes this one module and keeps the ZIP and XML guards of the
other parsers (archive.py's size and ratio limits, enforced again while reading; no entity
expansion, no network, no DTD).
"""

from __future__ import annotations

import logging
import math
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.normalize import clean_text
from ingest.parsers import document_id
from ingest.parsers.archive import MAX_UNCOMPRESSED_BYTES, check_zip_package
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

if TYPE_CHECKING:  # lxml is imported when an OFD file is read: without it the other types still work
    from lxml import etree

log = logging.getLogger(__name__)

__all__ = ["choose_title", "parse_ofd"]

ENTRY = "OFD.xml"
# A TextObject without a Size (the standard requires one) is drawn at 3.5 mm, about 10 pt.
DEFAULT_SIZE = 3.5
# Characters whose baselines differ by at most this share of the type size sit on one line;
# lines of text are at least a type size apart, a superscript is raised a third of one.
LINE_TOLERANCE = 0.5
# A gap of this share of the type size between two characters of a line is a word space
# ("第一条" and the article text set apart by position rather than by a space character).
GAP_SPACE_EM = 0.5
# The same character drawn again within this share of the type size is a bold effect (a
# second pass offset a little), not a second character; "谢谢" is a whole em apart.
OVERPRINT_EM = 0.3
# A page with fewer visible characters than this (a page number, a stamp) is not where the
# title is looked for.
NEARLY_EMPTY_PAGE_CHARS = 16
# Titles that producers fill in when the author gave none.
_PLACEHOLDER_TITLES = {"untitled", "untitled document", "unknown", "无标题", "无标题文档", "新建文档"}
_WORD_TITLE_PREFIX = ("Microsoft Word - ", "Microsoft PowerPoint - ", "Microsoft Excel - ")
# A DocInfo title that is the source file's name ("关于……的通知.docx") loses its extension.
_FILE_EXTENSION = re.compile(r"\.(?:docx?|wps|wpt|dotx?|pdf|ofd|txt|rtf)$", re.IGNORECASE)
# Encryption entries of an OFD encrypted as GM/T 0099 (the page contents are then ciphertext).
_ENCRYPTION_PART = re.compile(r"(?:^|/)encryptions?\.xml$", re.IGNORECASE)
_NUMBER_SEPARATOR = re.compile(r"[\s,]+")
# What zipfile raises for a damaged member: a bad CRC or header, broken deflate data, a cut-off
# member, an unsupported compression method, a password it was not given.
_UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


@dataclass(frozen=True)
class _Glyph:
    """One character placed on the page: its left and right edge, its baseline (y grows down
    the page, as in OFD's coordinate system) and its type size, all in millimetres."""

    char: str
    left: float
    right: float
    baseline: float
    size: float


@dataclass(frozen=True)
class _Line:
    text: str
    size: float  # the median type size of its characters


def parse_ofd(path: Path) -> Document:
    """An OFD as one Document: each page's lines in reading order, `pages` mapping each page's
    text range, the title from DocInfo when the first page prints it, else the first page's
    display line."""
    name = path.name
    check_zip_package(path, "OFD")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ParseError(f"{name}: not a valid OFD file ({type(error).__name__}: {error})") from None
    with archive:
        package = _Package(archive, name)
        info_title, page_lines, warnings = _read_document(package)

    page_texts = ["\n".join(line.text for line in lines) for lines in page_lines]
    if all(_visible_chars(text) == 0 for text in page_texts):
        raise ParseError(
            f"{name}: no text found in the OFD ({len(page_texts)} page(s); the pages may be scanned "
            "images, which are not read)"
        )
    layout = lay_out_pages(page_texts)
    log.debug("%s: %d pages, %d furniture lines dropped, %d line wraps joined", name, len(page_texts),
              layout.dropped_lines, layout.joined_breaks)
    title = choose_title(info_title, _first_page_lines(page_lines), layout)
    text, pages = layout.joined()
    return Document(
        id=document_id(text),
        title=title or path.stem,
        source=str(path),
        kind="ofd",
        text=text,
        pages=pages,
        warnings=tuple(warnings),
    )


def choose_title(info_title: str | None, first_lines: Sequence[SizedLine], layout: Layout) -> str | None:
    """The document's title: DocInfo's when the first page prints it, else the page's own.

    In order: the DocInfo title when the first page with text prints it (a red-header
    document's first display line is the issuer's mark, "某某市人民政府文件", so a title the
    file states and the page confirms goes first); the first page's display line (set larger
    than its body); the DocInfo title even unprinted; a running header that reads as a title;
    the first line when it reads as one.
    """
    stated = _plausible_title(info_title)
    first_page = next((page for page in layout.pages if page.strip()), "")
    if stated and _squeeze(stated) in _squeeze(first_page):
        return stated
    display = title_from_lines(first_lines)
    if display:
        return display
    if stated:
        return stated
    if layout.running_header and title_like(layout.running_header):
        return layout.running_header
    for line in first_page.split("\n"):
        if line.strip():
            return undouble(line.strip(" \t\u3000")) if title_like(line) else None
    return None


# --- the package ------------------------------------------------------------------------------


class _Package:
    """The members of an OFD package, read under one inflation budget and parsed safely."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.name = name
        self._archive = archive
        self._members: dict[str, zipfile.ZipInfo] = {}
        self._folded: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            key = _normalise_member(info.filename)
            self._members.setdefault(key, info)
            self._folded.setdefault(key.lower(), info)
        self._budget = MAX_UNCOMPRESSED_BYTES
        from lxml import etree

        # No entity expansion (billion laughs), no external entities or DTDs, no network.
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                       dtd_validation=False, huge_tree=False, remove_comments=True,
                                       remove_pis=True)

    def encrypted(self) -> bool:
        return any(_ENCRYPTION_PART.search(key) for key in self._members)

    def has(self, loc: str) -> bool:
        return self._find(loc) is not None

    def xml(self, loc: str, what: str) -> etree._Element:
        """The parsed member at `loc` (a path from the package root); `what` names it in errors."""
        from lxml import etree

        data = self._read(loc, what)
        try:
            return etree.fromstring(data, self._parser)
        except etree.XMLSyntaxError as error:
            raise ParseError(
                f"{self.name}: {what} ({loc}) is not well-formed XML ({error}); "
                "the file is damaged or encrypted"
            ) from None

    def _find(self, loc: str) -> zipfile.ZipInfo | None:
        key = _normalise_member(loc)
        # Packages written on Windows do not always keep the case their XML names parts with.
        return self._members.get(key) or self._folded.get(key.lower())

    def _read(self, loc: str, what: str) -> bytes:
        info = self._find(loc)
        if info is None:
            raise ParseError(f"{self.name}: {what} ({loc}) is missing from the OFD package")
        if info.flag_bits & 0x1:
            raise ParseError(
                f"{self.name}: the OFD package is password-protected (encrypted ZIP); it cannot be read"
            )
        try:
            with self._archive.open(info) as member:
                # zipfile stops at the size the directory states; the budget also caps what
                # the whole document inflates to when many parts (or one part many times) are read.
                data = member.read(self._budget + 1)
        except _UNPACK_ERRORS as error:
            raise ParseError(
                f"{self.name}: {what} ({loc}) cannot be unpacked ({type(error).__name__}: {error}); "
                "the file is damaged"
            ) from None
        if len(data) > self._budget:
            raise ParseError(
                f"{self.name}: refused, the OFD inflates to more than {MAX_UNCOMPRESSED_BYTES:,} bytes; "
                "it may be a zip bomb"
            )
        self._budget -= len(data)
        return data


def _normalise_member(name: str) -> str:
    return posixpath.normpath(name.replace("\\", "/").lstrip("/"))


def _resolve(base: str, loc: str) -> str:
    """A location (ST_Loc) written in the member `base`: absolute from the package root when it
    starts with "/", else relative to the directory of `base`."""
    loc = loc.strip().replace("\\", "/")
    joined = loc if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc)
    return _normalise_member(joined)


def _local(element: etree._Element) -> str:
    from lxml import etree

    return etree.QName(element).localname if isinstance(element.tag, str) else ""


# --- documents and pages ----------------------------------------------------------------------


def _read_document(package: _Package) -> tuple[str | None, list[list[_Line]], list[str]]:
    """(the DocInfo title, the lines of every page, warnings) of the package's first document."""
    name = package.name
    if not package.has(ENTRY):
        raise ParseError(f"{name}: not a valid OFD file (the package has no {ENTRY})")
    root = package.xml(ENTRY, ENTRY)
    if _local(root) != "OFD":
        raise ParseError(f"{name}: not a valid OFD file ({ENTRY} holds <{_local(root)}>, not <OFD>)")
    if package.encrypted():
        raise ParseError(f"{name}: encrypted OFD (GM/T 0099); decrypt it before ingesting")
    bodies = root.findall("{*}DocBody")
    if not bodies:
        raise ParseError(f"{name}: not a valid OFD file ({ENTRY} names no document: no DocBody)")
    warnings: list[str] = []
    if len(bodies) > 1:
        warnings.append(f"the OFD package holds {len(bodies)} documents; only the first was read")
    body = bodies[0]
    doc_root = (body.findtext("{*}DocRoot") or "").strip()
    if not doc_root:
        raise ParseError(f"{name}: not a valid OFD file ({ENTRY} gives no DocRoot)")
    document_loc = _resolve(ENTRY, doc_root)
    document = package.xml(document_loc, "the document root")

    templates = {
        element.get("ID", ""): _resolve(document_loc, element.get("BaseLoc", ""))
        for element in document.iterfind("{*}CommonData/{*}TemplatePage")
        if element.get("ID") and element.get("BaseLoc")
    }
    template_glyphs: dict[str, list[_Glyph]] = {}
    page_elements = document.findall("{*}Pages/{*}Page")
    if not page_elements:
        raise ParseError(f"{name}: the OFD has no pages")
    pages: list[list[_Line]] = []
    for number, element in enumerate(page_elements, start=1):
        base = element.get("BaseLoc", "").strip()
        if not base:
            raise ParseError(f"{name}: page {number} of the OFD names no content (no BaseLoc)")
        page_loc = _resolve(document_loc, base)
        page = package.xml(page_loc, f"page {number}")
        glyphs = _glyphs(page)
        for template_id in dict.fromkeys(t.get("TemplateID", "") for t in page.iterfind("{*}Template")):
            loc = templates.get(template_id)
            if loc is None:
                log.warning("%s: page %d uses template %r, which the document does not define", name, number,
                            template_id)
                continue
            if loc not in template_glyphs:
                template_glyphs[loc] = _glyphs(package.xml(loc, f"template {template_id}"))
            glyphs.extend(template_glyphs[loc])
        pages.append(_lines(glyphs))
    info_title = body.findtext("{*}DocInfo/{*}Title")
    return info_title, pages, warnings


def _glyphs(page: etree._Element) -> list[_Glyph]:
    """Every character of the page's (or template's) text objects, placed on the page."""
    glyphs: list[_Glyph] = []
    for text_object in page.iter("{*}TextObject"):
        box = _numbers(text_object.get("Boundary"))
        origin_x, origin_y = (box[0], box[1]) if box and len(box) >= 2 else (0.0, 0.0)
        ctm = _numbers(text_object.get("CTM"))
        ctm = ctm if ctm and len(ctm) == 6 else None
        scale = math.sqrt(abs(ctm[0] * ctm[3] - ctm[1] * ctm[2])) if ctm else 1.0
        size = _number(text_object.get("Size"), DEFAULT_SIZE)
        if size <= 0:
            size = DEFAULT_SIZE

        # A TextCode without X or Y goes on from where the one before it stopped.
        cursor_x, cursor_y = 0.0, size
        for code in text_object.iter("{*}TextCode"):
            text = "".join(code.itertext())
            x = _number(code.get("X"), cursor_x)
            y = _number(code.get("Y"), cursor_y)
            delta_x = _deltas(code.get("DeltaX"), len(text))
            delta_y = _deltas(code.get("DeltaY"), len(text))
            for index, char in enumerate(text):
                if char in "\r\n\t":
                    char = " "
                advance = delta_x[index] if index < len(delta_x) else _em_width(char) * size
                left, baseline = _place(x, y, origin_x, origin_y, ctm)
                right, _ = _place(x + advance, y, origin_x, origin_y, ctm)
                glyphs.append(_Glyph(char, min(left, right), max(left, right), baseline, size * scale))
                x += advance
                if index < len(delta_y):
                    y += delta_y[index]
            cursor_x, cursor_y = x, y
    return glyphs


def _place(
    x: float, y: float, origin_x: float, origin_y: float, ctm: list[float] | None
) -> tuple[float, float]:
    """A point of a text object on the page: through the object's CTM, then from its Boundary's corner."""
    if ctm:
        x, y = ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]
    return origin_x + x, origin_y + y


def _lines(glyphs: Sequence[_Glyph]) -> list[_Line]:
    """The glyphs as lines of text: grouped by baseline top to bottom, each read left to right."""
    rows: list[list[_Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.baseline, g.left)):
        first = rows[-1][0] if rows else None
        if first and abs(glyph.baseline - first.baseline) <= LINE_TOLERANCE * max(glyph.size, first.size):
            rows[-1].append(glyph)
        else:
            rows.append([glyph])
    lines: list[_Line] = []
    for row in rows:
        text = _row_text(sorted(row, key=lambda g: g.left))
        if text.strip():
            sizes = sorted(g.size for g in row if not g.char.isspace())
            lines.append(_Line(text, sizes[len(sizes) // 2]))
    return lines


def _row_text(row: Sequence[_Glyph]) -> str:
    chars: list[str] = []
    previous: _Glyph | None = None
    for glyph in row:
        if previous is not None:
            if glyph.char == previous.char and glyph.left - previous.left < OVERPRINT_EM * glyph.size:
                continue  # drawn a second time for a bold effect
            gap = glyph.left - previous.right
            if gap >= GAP_SPACE_EM * max(glyph.size, previous.size) and not (
                glyph.char.isspace() or previous.char.isspace()
            ):
                chars.append(" ")
        chars.append(glyph.char)
        previous = glyph
    return "".join(chars).rstrip()


def _first_page_lines(pages: Sequence[Sequence[_Line]]) -> list[SizedLine]:
    """The sized lines of the first page with text (a cover with a stamp on it is passed over)."""
    filled = [lines for lines in pages if lines]
    for lines in filled:
        if sum(_visible_chars(line.text) for line in lines) >= NEARLY_EMPTY_PAGE_CHARS:
            break
    else:
        lines = filled[0] if filled else []
    sized = [SizedLine(normalize_page_text(clean_text(line.text)), line.size) for line in lines]
    return [line for line in sized if line.text.strip()]


# --- values -----------------------------------------------------------------------------------


def _number(value: str | None, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        log.debug("unreadable OFD number %r", value)
        return default
    return number if math.isfinite(number) else default


def _numbers(value: str | None) -> list[float] | None:
    """The numbers of an ST_Array or ST_Box ("25 30 160 8"), None when unreadable."""
    if not value or not value.strip():
        return None
    try:
        numbers = [float(token) for token in _NUMBER_SEPARATOR.split(value.strip()) if token]
    except ValueError:
        log.debug("unreadable OFD numbers %r", value)
        return None
    return numbers if all(math.isfinite(number) for number in numbers) else None


def _deltas(value: str | None, limit: int) -> list[float]:
    """A DeltaX/DeltaY list, "g n d" standing for n times d (GB/T 33190 §11.3); at most `limit`
    values (one per character), so a forged "g 1000000000 5" costs nothing."""
    if not value:
        return []
    tokens = value.split()
    deltas: list[float] = []
    index = 0
    try:
        while index < len(tokens) and len(deltas) < limit:
            if tokens[index] == "g":
                count, delta = int(tokens[index + 1]), float(tokens[index + 2])
                deltas.extend([delta] * max(0, min(count, limit - len(deltas))))
                index += 3
            else:
                deltas.append(float(tokens[index]))
                index += 1
    except (ValueError, IndexError):
        log.debug("unreadable OFD glyph spacing %r", value)
    return [delta if math.isfinite(delta) else 0.0 for delta in deltas[:limit]]


def _em_width(char: str) -> float:
    """The advance of a character without a DeltaX, in em: full-width ones 1, others half."""
    return 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5


def _plausible_title(title: str | None) -> str | None:
    """The DocInfo title cleaned (a Word prefix or file extension off), None when it is empty,
    a placeholder or no title at all (a sentence, a label)."""
    title = " ".join(clean_text(title or "").split())
    for prefix in _WORD_TITLE_PREFIX:
        title = title.removeprefix(prefix)
    title = _FILE_EXTENSION.sub("", title).strip()
    if not title or title.lower() in _PLACEHOLDER_TITLES or not title_like(title):
        return None
    return title


def _visible_chars(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def _squeeze(text: str) -> str:
    return "".join(clean_text(text).split())
