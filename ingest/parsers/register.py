"""Registers: CSV/XLSX tables whose columns are not a catalogue's, kept under their own headers.

A register is any table of records: a list of policy documents (序号, 文档标题, 文号, 发布日期 …),
a knowledge table, a schedule. Nothing about its columns is assumed; what is read from the
shape of the data alone:

- The header is the first row (among the first `HEADER_SEARCH_ROWS` non-empty rows) whose
  cells look like column names: at least two filled cells (one for a one-column table), most
  of the row filled, every filled cell short (`HEADER_MAX_CHARS`), the names mostly distinct,
  and few of them values (numbers, dates, links). A row above it whose filled cells hold one
  value (a title row, merged across the columns in XLSX) gives the title.
- Each non-empty row below the header is a record: its non-empty cells, in column order,
  under their column's name. A column without a name is called 第N列; a repeated name gets a
  suffix (备注, 备注(2)); a column with no name and no value disappears. A row repeating the
  header (a header repeated on every printed page) is skipped. Rows below the last
  multi-cell row that fill a single cell (a note or a summary below the table) are kept
  without a column name, since the column they happen to sit in says nothing about them.
- In a CSV file, a row with more cells than the header usually means a cell held the
  delimiter without quotes ("关键词: 小学,公办,入学"). The surplus is joined back, with the
  delimiter, into the one column where that makes the columns most consistent across rows
  (`_merge_column`); the rows concerned are named in a warning.

The Document's text holds one block per record, blank-line separated; a block is one
"header：value" line per cell (a multi-line value keeps its inner line breaks; blank lines
inside a cell were already collapsed by the reader). `Document.records` gives each record's
row number, cells and the offsets of its block.

`register_chunks` cuts one Chunk per record (a long record into several, at line and
sentence boundaries), with the record's title cell as section path when the table has a
title-like column (`title_column`).
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import iter_lines, split_long_sentence, split_sentences
from ingest.parsers import document_id
from ingest.types import Chunk, Document, ParseError, RegisterRow

log = logging.getLogger(__name__)

__all__ = [
    "HEADER_MAX_CHARS",
    "HEADER_SEARCH_ROWS",
    "register_chunks",
    "register_document",
    "render_record",
    "title_column",
]

# The header may sit below a title or notes; it is looked for in this many non-empty rows.
HEADER_SEARCH_ROWS = 10
# A column name is a few words: "原文关键条款(逐字摘录)" is 12 characters, a cell of text is more.
HEADER_MAX_CHARS = 40
# At most this share of a header's cells may look like values (numbers, dates, links): a
# header with a year column ("2024年" is a name, "2024" a number) counts, a row of data does not.
HEADER_MAX_VALUE_SHARE = 1 / 3
# A header has this share of distinct names at least (a repeated "备注" is tolerated).
HEADER_MIN_DISTINCT_SHARE = 2 / 3
# The label separator in a rendered block, as in the catalogue's "标准内容：…" lines.
LABEL_SEPARATOR = "："

# What makes a column a title column (one short name per record): filled in most records,
# mostly unique, short, and names rather than sentences, lists or values.
TITLE_MIN_COVERAGE = 0.8
TITLE_MIN_UNIQUE = 0.8
TITLE_MAX_MEDIAN_CHARS = 60
TITLE_MAX_SENTENCE_SHARE = 0.2
TITLE_MIN_TEXT_SHARE = 0.8
# Identifying columns come first in a table (序号, 分类, 标题 …); a column in the right half
# (remarks, risks, contacts) is no title even when its values are short and unique.
TITLE_MAX_COLUMN_SHARE = 0.5
# Among the columns that qualify by shape, one whose name says "title" wins over an earlier one.
TITLE_HEADER_WORDS = ("标题", "名称", "题名", "title", "name")

_URL = re.compile(r"^(?:https?://|www\.)\S+$|^[\w-]+(?:\.[\w-]+)+/\S*$", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
_DATE = re.compile(
    r"^(?:\d{4}\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2}\s*日?|\s*月)?"
    r"|\d{1,2}\s*[/月]\s*\d{1,2}\s*日?)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
# A value holding clause or sentence punctuation (or a line break) is a sentence or a list, not a name.
_SENTENCE_MARK = re.compile(r"[，,；;。！？!?\n]")
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"\w")
# Share of digits among the word characters above which a value is a code (文号, phone number).
_CODE_DIGIT_SHARE = 0.4
# A cell that only holds punctuation or a dash ("—", "/", "-") says "nothing here".
_PLACEHOLDER = re.compile(r"^[\W_]*$")


def render_record(cells: Sequence[tuple[str, str]]) -> str:
    """A record's text block: one "header：value" line per cell (the value alone for a nameless note)."""
    return "\n".join(f"{header}{LABEL_SEPARATOR}{value}" if header else value for header, value in cells)


def register_document(
    rows: Iterable[tuple[int, list[str]]],
    path: Path,
    *,
    title: str = "",
    fallback_title: str = "",
    delimiter: str | None = None,
    warnings: Sequence[str] = (),
) -> Document:
    """A table of records as a Document of kind "register" (see the module docstring).

    `rows` are (1-based source row number, cleaned cells), as the catalogue's CSV and XLSX
    readers produce them. `title` is a title the file states outside the table (an XLSX
    workbook's title property) and wins over a title row; `fallback_title` (a meaningful
    sheet name) is used when there is neither, then the file name. `delimiter` is the CSV
    delimiter, used to join back the cells of rows that have more cells than the header;
    None (XLSX) keeps surplus cells as nameless columns.
    """
    path = Path(path)
    name = path.name
    rows = [(number, list(cells)) for number, cells in rows]
    header_at, title_row = _find_header(rows, name)
    header_number, header_cells = rows[header_at]
    body = [(number, cells) for number, cells in rows[header_at + 1 :] if any(cells)]
    labels = _labels(header_cells)
    shown_header = ", ".join(repr(label) for label in labels if label)
    body = [(number, cells) for number, cells in body if cells[: len(header_cells)] != header_cells]
    if not body:
        raise ParseError(f"{name}: no rows below the header (row {header_number}: {shown_header})")

    notes: list[str] = list(warnings)
    body = _fit_to_header(body, len(header_cells), delimiter, labels, notes)
    trailing = _trailing_notes(body)

    blocks: list[str] = []
    records: list[RegisterRow] = []
    offset = 0
    for index, (number, cells) in enumerate(body):
        if index in trailing:
            pairs = [("", value) for value in cells if value]
        else:
            pairs = [(_label(labels, column), value) for column, value in enumerate(cells) if value]
        block = render_record(pairs)
        records.append(RegisterRow(row=number, cells=tuple(pairs), start=offset, end=offset + len(block)))
        blocks.append(block)
        offset += len(block) + 2  # the blank line between blocks
    log.debug("%s: register header in row %d, %d records", name, header_number, len(records))
    for warning in notes:
        log.info("%s: %s", name, warning)
    text = "\n\n".join(blocks) + "\n"
    return Document(
        id=document_id(text),
        title=title or title_row or fallback_title or path.stem,
        source=str(path),
        kind="register",
        text=text,
        records=tuple(records),
        warnings=tuple(notes),
    )


def register_chunks(doc: Document, max_chars: int) -> list[Chunk]:
    """One Chunk per register record, cited by its row: meta {"row": "N"}.

    The section path is the record's title cell when the table has a title column
    (`title_column`), else empty. A record longer than `max_chars` is split into several
    chunks at line boundaries, then sentence boundaries, then clause boundaries (the same
    cuts `ingest.chunking` makes); each piece keeps the row and the section path, and every
    chunk's text is doc.text[start:end].
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    column = title_column(doc.records)
    chunks: list[Chunk] = []
    for record in doc.records:
        title = next((value for header, value in record.cells if header == column), "") if column else ""
        section_path = (" ".join(title.split()),) if title else ()
        for start, end in _windows(doc.text, record.start, record.end, max_chars):
            chunks.append(
                Chunk(
                    doc_id=doc.id,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    section_path=section_path,
                    page=None,
                    meta={"row": str(record.row)},
                )
            )
    return chunks


def title_column(records: Sequence[RegisterRow]) -> str | None:
    """The column whose cell names each record (a document title, an item name), or None.

    Chosen by the shape of the values: filled in most records, mostly distinct, short,
    names rather than sentences or lists (no clause punctuation, no line breaks), and text
    rather than numbers, dates, links or codes, in the left half of the table. Among the
    columns that qualify, one whose header says 标题/名称/题名 wins; else the leftmost.
    """
    columns = _column_order(records)
    if not columns or not records:
        return None
    values: dict[str, list[str]] = {column: [] for column in columns}
    for record in records:
        for header, value in record.cells:
            if header and not _PLACEHOLDER.match(value):
                values[header].append(value)
    limit = max(1, math.ceil(len(columns) * TITLE_MAX_COLUMN_SHARE))
    eligible = [column for column in columns[:limit] if _is_title_like(values[column], len(records))]
    log.debug("title column candidates: %s", eligible)
    if not eligible:
        return None
    named = [column for column in eligible if any(word in column.lower() for word in TITLE_HEADER_WORDS)]
    return (named or eligible)[0]


# --- the header ------------------------------------------------------------------------------


def _find_header(rows: Sequence[tuple[int, list[str]]], name: str) -> tuple[int, str]:
    """(index in `rows` of the header row, the title from a row above it or "")."""
    window = [index for index, (_, cells) in enumerate(rows) if any(cells)][:HEADER_SEARCH_ROWS]
    if not window:
        raise ParseError(f"{name}: no rows found")
    widest = max(sum(1 for cell in rows[index][1] if cell) for index in window)
    typical = statistics.median(sum(1 for cell in rows[index][1] if cell) for index in window)
    title = ""
    for index in window:
        cells = rows[index][1]
        if _looks_like_header(cells, widest, typical):
            return index, title
        filled = [cell for cell in cells if cell]
        if not title and len(set(filled)) == 1 and "\n" not in filled[0]:
            title = filled[0]
    raise ParseError(
        f"{name}: no header row found in the first {len(window)} non-empty rows (a header is a row of "
        f"short, distinct column names, at most {HEADER_MAX_CHARS} characters each)"
    )


def _looks_like_header(cells: Sequence[str], widest: int, typical: float) -> bool:
    filled = [cell for cell in cells if cell]
    last = max((index for index, cell in enumerate(cells) if cell), default=-1)
    needed = 1 if widest == 1 else 2
    return (
        len(filled) >= max(needed, typical / 2)
        and len(filled) >= (last + 1) / 2  # mostly filled up to its last name
        and all(len(cell) <= HEADER_MAX_CHARS for cell in filled)
        and len(set(filled)) >= len(filled) * HEADER_MIN_DISTINCT_SHARE
        and sum(1 for cell in filled if _value_kind(cell) != "text") <= len(filled) * HEADER_MAX_VALUE_SHARE
    )


def _labels(header: Sequence[str]) -> list[str]:
    """The column names in order: whitespace collapsed, "" for a nameless column, repeats suffixed."""
    labels: list[str] = []
    seen: Counter[str] = Counter()
    taken = {" ".join(cell.split()) for cell in header}
    for cell in header:
        label = " ".join(cell.split())
        if label:
            seen[label] += 1
            if seen[label] > 1:
                suffix = seen[label]
                while f"{label}({suffix})" in taken:
                    suffix += 1
                label = f"{label}({suffix})"
                taken.add(label)
        labels.append(label)
    return labels


def _label(labels: Sequence[str], column: int) -> str:
    label = labels[column] if column < len(labels) else ""
    return label or f"第{column + 1}列"


def _column_order(records: Sequence[RegisterRow]) -> list[str]:
    """The named columns in the order they first appear (records list their cells in column order)."""
    order: dict[str, None] = {}
    for record in records:
        for header, _ in record.cells:
            if header:
                order.setdefault(header, None)
    return list(order)


# --- rows that do not fit the header ---------------------------------------------------------


def _fit_to_header(
    body: list[tuple[int, list[str]]],
    width: int,
    delimiter: str | None,
    labels: Sequence[str],
    warnings: list[str],
) -> list[tuple[int, list[str]]]:
    """The rows with surplus cells of a CSV joined back into one column (see `_merge_column`)."""
    surplus = [index for index, (_, cells) in enumerate(body) if len(cells) > width and any(cells[width:])]
    if not surplus:
        return body
    rows_shown = _row_list([body[index][0] for index in surplus])
    if delimiter is None:
        warnings.append(
            f"rows {rows_shown}: cells beyond the header's {width} columns are kept as unnamed columns"
        )
        return body
    column = _merge_column(body, width, set(surplus))
    if column is None:
        warnings.append(
            f"rows {rows_shown}: more cells than the header's {width} columns (an unquoted {delimiter!r} "
            "in a cell?); no column could be told apart, so the surplus cells are kept as unnamed columns"
        )
        return body
    warnings.append(
        f"rows {rows_shown}: more cells than the header's {width} columns; the surplus was joined "
        f"with {delimiter!r} into column {_label(labels, column)!r} (an unquoted {delimiter!r} in a cell)"
    )
    fitted = list(body)
    for index in surplus:
        number, cells = body[index]
        fitted[index] = (number, _merged(cells, width, column, delimiter))
    return fitted


def _merged(cells: Sequence[str], width: int, column: int, delimiter: str) -> list[str]:
    extra = len(cells) - width
    joined = delimiter.join(cells[column : column + extra + 1])
    return [*cells[:column], joined, *cells[column + extra + 1 :]]


def _merge_column(body: Sequence[tuple[int, list[str]]], width: int, surplus: set[int]) -> int | None:
    """The column the surplus cells of the over-long rows belong to, or None if no column stands out.

    For each candidate column, the over-long rows are joined into it and every column is
    scored for consistency: how far its values share one kind (text, number, date, link,
    code) and one order of length. The pieces joined into the candidate are scored the
    same way (the parts of a list are alike). Rows of the right length take part as they
    are, anchoring the columns. The candidate with the best total wins, if it is unique.
    """
    scores: list[float] = []
    for column in range(width):
        table: list[list[str]] = [[] for _ in range(width)]
        for index, (_, cells) in enumerate(body):
            fitted = _merged(cells, width, column, "\x00") if index in surplus else cells
            for position, value in enumerate(fitted[:width]):
                # The candidate column holds the pieces of its lists (a single value is a list of one).
                table[position].extend(part for part in value.split("\x00") if part)
        scores.append(sum(len(values) * _consistency(values) for values in table))
    best = max(scores)
    if scores.count(best) > 1:
        return None
    log.debug("merge column scores: %s", [round(score, 3) for score in scores])
    return scores.index(best)


def _consistency(values: Sequence[str]) -> float:
    """1 for values of one kind and similar length, down towards 0 as kinds and lengths scatter."""
    if not values:
        return 1.0
    kinds = Counter(_value_kind(value) for value in values)
    kind_share = kinds.most_common(1)[0][1] / len(values)
    lengths = [math.log2(len(value)) for value in values]
    middle = statistics.median(lengths)
    spread = statistics.fmean(abs(length - middle) for length in lengths)
    return kind_share / (1 + spread)


def _trailing_notes(body: Sequence[tuple[int, list[str]]]) -> set[int]:
    """Indexes of the single-cell rows below the last multi-cell row, in a table of 3 columns or more."""
    counts = [sum(1 for cell in cells if cell) for _, cells in body]
    if statistics.median(counts) < 3:
        return set()
    notes: set[int] = set()
    for index in range(len(body) - 1, -1, -1):
        if counts[index] != 1:
            break
        notes.add(index)
    return notes if len(notes) < len(body) else set()


def _row_list(numbers: Sequence[int], shown: int = 5) -> str:
    listed = ", ".join(str(number) for number in numbers[:shown])
    return listed + (f" (+{len(numbers) - shown} more)" if len(numbers) > shown else "")


# --- values ----------------------------------------------------------------------------------


def _value_kind(value: str) -> str:
    """"link", "date", "number", "code" (mostly digits: a phone number, 穗府办规〔2024〕13号) or "text"."""
    value = value.strip()
    if _URL.match(value):
        return "link"
    if _DATE.match(value) or _TIME.match(value):
        return "date"
    if _NUMBER.match(value.replace(" ", "")):
        return "number"
    word_chars = _WORD_CHAR.findall(value)
    if word_chars and len(_DIGIT.findall(value)) / len(word_chars) >= _CODE_DIGIT_SHARE:
        return "code"
    return "text"


@dataclass(frozen=True)
class _ColumnShape:
    coverage: float
    unique: float
    median_chars: float
    sentence_share: float
    text_share: float


def _shape(values: Sequence[str], records: int) -> _ColumnShape:
    return _ColumnShape(
        coverage=len(values) / records,
        unique=len(set(values)) / len(values),
        median_chars=statistics.median(len(value) for value in values),
        sentence_share=sum(1 for value in values if _SENTENCE_MARK.search(value)) / len(values),
        text_share=sum(1 for value in values if _value_kind(value) == "text") / len(values),
    )


def _is_title_like(values: Sequence[str], records: int) -> bool:
    if not values:
        return False
    shape = _shape(values, records)
    return (
        shape.coverage >= TITLE_MIN_COVERAGE
        and shape.unique >= TITLE_MIN_UNIQUE
        and shape.median_chars <= TITLE_MAX_MEDIAN_CHARS
        and shape.sentence_share <= TITLE_MAX_SENTENCE_SHARE
        and shape.text_share >= TITLE_MIN_TEXT_SHARE
    )


# --- splitting a long record -----------------------------------------------------------------


def _windows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] of at most max_chars, cut after whole lines where possible."""
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for line_start, line_end in _lines_in(text, start, end):
        if line_end - line_start <= max_chars:
            pieces.append((line_start, line_end))
            continue
        for sentence in split_sentences(text, line_start, line_end):
            if sentence[1] - sentence[0] <= max_chars:
                pieces.append(sentence)
            else:
                pieces.extend(split_long_sentence(text, sentence[0], sentence[1], max_chars))
    windows: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces:
        if windows and piece_end - windows[-1][0] <= max_chars:
            windows[-1] = (windows[-1][0], piece_end)
        else:
            windows.append((piece_start, piece_end))
    return windows


def _lines_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-blank line spans inside text[start:end], as offsets into `text`."""
    return [(start + line_start, start + line_end) for line_start, line_end in iter_lines(text[start:end])]
