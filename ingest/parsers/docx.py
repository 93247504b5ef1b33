"""Word .docx files: paragraphs and tables in document order, headings from paragraph styles.

Automatic numbering (第一条, （一）, 1.) is drawn by Word, not stored in the paragraph text;
`docx_numbering.Numbering` computes it and the label is put in front of the text, so the
chunker sees the articles and items a reader sees.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.normalize import clean_text
from ingest.parsers import document_id
from ingest.parsers.archive import check_zip_package
from ingest.parsers.text import join_lines
from ingest.types import Document, ParseError

if TYPE_CHECKING:  # python-docx (and docx_numbering, built on it) is imported when a DOCX file is read
    from docx.document import Document as WordDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from ingest.parsers.docx_numbering import Numbering, Styles

log = logging.getLogger(__name__)

__all__ = ["parse_docx"]

CELL_SEPARATOR = " | "
# "Heading 2" (English Word, also how Chinese Word stores built-in styles), "标题 2" (WPS and
# localized custom styles), "Title"/"标题" for the document title style.
_HEADING_STYLE = re.compile(r"^(?:heading|标题|標題)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题", "標題"}
MAX_LEVEL = 6  # Word has 9 heading levels; markup levels in policykb go to 6
# Compound-file signature of the old binary .doc format (and .xls/.ppt).
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse_docx(path: Path) -> Document:
    """Paragraphs one per line, table rows as "a | b | c" lines, numbering labels in front.

    Headings come from Heading/标题 styles and from outline levels (w:outlineLvl).
    """
    from docx.text.paragraph import Paragraph

    from ingest.parsers.docx_numbering import Numbering

    word = _open(path)
    numbering = Numbering.from_document(word)
    lines: list[str] = []
    heading_lines: dict[int, int] = {}  # line index -> heading level
    for block in _iter_blocks(word, word.element.body):
        if isinstance(block, Paragraph):
            level = _heading_level(block, numbering.styles)
            line = _paragraph_text(block, numbering, single_line=level is not None)
            if not line:
                continue
            if level is not None:
                heading_lines[len(lines)] = level
            lines.append(line)
        else:
            lines.extend(_table_lines(block, numbering))

    text, headings = join_lines(lines, heading_lines)
    title = _core_title(word)
    if not title and headings:
        title = text[headings[0].start : headings[0].end].strip()
    return Document(
        id=document_id(text),
        title=title or path.stem,
        source=str(path),
        kind="docx",
        text=text,
        headings=headings,
    )


def _open(path: Path) -> WordDocument:
    import docx

    with path.open("rb") as handle:
        if handle.read(len(_OLE_SIGNATURE)) == _OLE_SIGNATURE:
            raise ParseError(f"{path.name}: not a valid DOCX file (it is an old Word .doc file; save it as .docx)")
    check_zip_package(path, "DOCX")
    try:
        return docx.Document(str(path))
    except Exception as error:  # python-docx raises zip, KeyError and XML errors for bad files
        raise ParseError(f"{path.name}: not a valid DOCX file ({type(error).__name__})") from error


def _iter_blocks(word: WordDocument, container) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of a body element in document order, including those in content controls."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, word)
        elif child.tag == qn("w:tbl"):
            yield Table(child, word)
        elif child.tag == qn("w:sdt"):  # a content control wraps blocks of the body
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _iter_blocks(word, content)


def _paragraph_text(paragraph: Paragraph, numbering: Numbering, single_line: bool = False) -> str:
    """A paragraph's numbering label and text; soft line breaks stay unless it is a heading.

    "" when the text is empty after clean-up: a numbered paragraph holding nothing (Word
    still draws its "3.") is dropped, though it has been counted.
    """
    text = clean_text(_visible_text(paragraph)).rstrip()
    if not text.strip():
        return ""
    text = numbering.label(paragraph._p) + text
    if single_line:
        text = " ".join(text.split())
    return text


def _heading_level(paragraph: Paragraph, styles: Styles) -> int | None:
    """1 for Title/标题, N for Heading N/标题 N or outline level N-1 (direct or via styles), else None.

    The nearest setting wins: the paragraph's own w:outlineLvl, then each style of the
    basedOn chain (its name, then its w:outlineLvl). Outline level 9 is body text.
    """
    from docx.oxml.ns import qn

    from ingest.parsers.docx_numbering import outline_level

    element = paragraph._p
    direct = outline_level(element.pPr)
    if direct is not None:
        return _outline_heading(direct)
    for style in styles.chain(styles.style_id(element)):
        name_element = style.find(qn("w:name"))
        name = " ".join((name_element.get(qn("w:val"), "") if name_element is not None else "").split())
        if name.lower() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return min(int(match.group(1)), MAX_LEVEL)
        level = outline_level(style.find(qn("w:pPr")))
        if level is not None:
            return _outline_heading(level)
    return None


def _outline_heading(level: int) -> int | None:
    """The heading level of outline level 0-8 (1-9, capped at MAX_LEVEL); None for body text."""
    from ingest.parsers.docx_numbering import BODY_TEXT_OUTLINE

    return min(level + 1, MAX_LEVEL) if 0 <= level < BODY_TEXT_OUTLINE else None


def _table_lines(table: Table, numbering: Numbering) -> list[str]:
    """One line per row: cell texts joined with " | ", a cell spanning columns given once."""
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell is previous:  # python-docx repeats a merged cell once per grid column
                continue
            previous = cell
            cells.append(_cell_text(cell, numbering))
        if any(cells):
            lines.append(CELL_SEPARATOR.join(cells))
    return lines


def _visible_text(paragraph: Paragraph) -> str:
    """The paragraph's text without runs Word does not show: hidden (w:vanish) or set in 0-point
    type (web pages saved as Word keep their "折叠"/"展开" controls that way)."""
    from docx.text.run import Run

    parts: list[str] = []
    for item in paragraph.iter_inner_content():
        runs = [item] if isinstance(item, Run) else item.runs
        parts.extend(run.text for run in runs if not _unseen(run))
    return "".join(parts)


def _unseen(run: Run) -> bool:
    font = run.font
    return bool(font.hidden) or (font.size is not None and font.size == 0)


def _cell_text(cell, numbering: Numbering) -> str:
    """A cell's paragraphs (with their numbering labels) and nested tables on one line."""
    from docx.text.paragraph import Paragraph

    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(_paragraph_text(block, numbering))
        else:
            parts.extend(_table_lines(block, numbering))
    return " ".join(" ".join(parts).split())


def _core_title(word: WordDocument) -> str:
    try:
        title = word.core_properties.title
    except Exception as error:  # noqa: BLE001 -- damaged core.xml must not cost the document
        log.debug("unreadable DOCX core properties: %s", error)
        return ""
    return " ".join(clean_text(title or "").split())
