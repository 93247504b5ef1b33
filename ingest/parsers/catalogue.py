"""Standard catalogues (标准化目录) from CSV, XLSX, JSON and YAML files.

A catalogue is a table of items: unit (一级单元) > category (二级大类) > item (三级项目), with a
standard description (标准内容), a problem description (问题描述) and a lead department
(牵头部门). Column headers, in Chinese or English, are matched through `HEADER_ALIASES`;
columns that match none of them are kept per item as `CatalogueItem.extra` (filled cells
only, in column order). The Document's text holds one block per item, blank-line separated:
the path line ("清廉村居 > 村务清爽 > 三公开") and a "标准内容：…" / "问题描述：…" / "牵头部门：…"
line per filled field; extras are metadata and are not rendered.

Accepted layouts:

- CSV: any common encoding (decoded like plain text: UTF-8 with or without BOM, GBK/GB18030 …),
  delimiter , ; tab or | (sniffed). The header is the first non-empty row that names a unit
  or an item column (searched within the first `HEADER_SEARCH_ROWS` non-empty rows); a row
  above it with a single filled cell is taken as the title.
- XLSX: the first sheet with such a header. A cell merged down a column (the usual layout for
  a unit spanning many items) counts as filled in every row it spans. Formulas are read as the
  values the spreadsheet program cached (data_only); a file never calculated reads them empty.
- JSON / YAML: a list of row objects, or {"title": ..., "items": [...]}. The nested form
  {"title": ..., "units": [{"name": 单元, "categories": [{"name": 大类, "standard": ...,
  "items": [{"name": 项目, "standard": ..., ...}]}]}]} is flattened into the same rows; a
  category becomes a row of its own when it has no items or has fields of its own.

A CSV or XLSX file without a catalogue header (no unit column: a unit is what every
catalogue row needs) is a register, a table of records under its own headers: it is read by
`ingest.parsers.register.register_document` from the same rows (same decoding, delimiter,
merged cells), as a Document of kind "register". JSON and YAML files without one are refused.

Row numbers in warnings are those the user sees: the spreadsheet row for CSV/XLSX (the
header is row 1 in a plain file), the 1-based position in the list for JSON/YAML (in the
nested form, the position among the flattened rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ingest.parsers import document_id
from ingest.parsers.archive import check_zip_package
from ingest.parsers.register import register_document
from ingest.parsers.text import decode_text
from ingest.types import SECTION_SEPARATOR, CatalogueItem, Chunk, Document, ParseError

log = logging.getLogger(__name__)

__all__ = [
    "FIELD_LABELS",
    "HEADER_ALIASES",
    "catalogue_chunks",
    "field_for_header",
    "normalize_header",
    "parse_catalogue",
    "render_item",
]

# The one table of accepted column headers (and JSON/YAML keys) per CatalogueItem field.
# Headers are compared after `normalize_header`: NFKC, lower-case, no spaces, underscores,
# hyphens, colons or asterisks; a bracketed part is tried both kept (brackets dropped, so
# "（一级）单元" -> "一级单元") and removed ("标准内容(standard)" -> "标准内容").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit": ("一级单元", "单元", "一级目录", "一级", "清廉单元", "单元名称", "unit", "level 1"),
    "category": ("二级大类", "大类", "类别", "二级目录", "二级", "分类", "大类名称", "category", "level 2"),
    "item": ("三级项目", "项目", "子项目", "三级目录", "三级", "项目名称", "item", "level 3"),
    "standard": (
        "标准内容",
        "标准内容说明",
        "标准",
        "建设标准",
        "标准说明",
        "standard",
        "standard description",
    ),
    "problem": ("问题描述", "具体问题描述", "问题详解", "问题", "主要问题", "problem", "problem description"),
    "department": (
        "牵头部门",
        "牵头责任部门",
        "责任部门",
        "牵头单位",
        "责任单位",
        "lead department",
        "department",
    ),
}
FIELDS = tuple(HEADER_ALIASES)
# How the fields are named to the user: in warnings and in the rendered text.
FIELD_LABELS: dict[str, str] = {
    "unit": "一级单元",
    "category": "二级大类",
    "item": "三级项目",
    "standard": "标准内容",
    "problem": "问题描述",
    "department": "牵头部门",
}
_DESCRIPTION_FIELDS = ("standard", "problem", "department")

# The header may sit below a title or notes; it is looked for in this many non-empty rows.
HEADER_SEARCH_ROWS = 10
CSV_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
# Nested JSON/YAML: the keys holding the children and the level's own name.
_UNITS_KEY = "units"
_CATEGORIES_KEY = "categories"
_ITEMS_KEY = "items"
_NAME_KEYS = ("name", "名称", "title")
_LEVELS = ("unit", "category", "item")
# Sheet names a spreadsheet program makes up ("Sheet1", "工作表1"); they are no title.
_DEFAULT_SHEET_TITLE = re.compile(r"^(?:sheet|工作表|表)\s*\d*$", re.IGNORECASE)
_MAX_WARNINGS_IN_ERROR = 3

_IGNORED_HEADER_CHARS = re.compile(r"[\s_\-:*]+")
_BRACKETED = re.compile(r"[(\[{【〔《<][^)\]}】〕》>]*[)\]}】〕》>]")
_BRACKET_CHARS = re.compile(r"[()\[\]{}【】〔〕《》<>]")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalize_header(header: str) -> tuple[str, ...]:
    """The forms a header is matched by: brackets dropped, then bracketed parts removed."""
    text = unicodedata.normalize("NFKC", header).strip().lower()
    text = _IGNORED_HEADER_CHARS.sub("", text)
    forms = (_BRACKET_CHARS.sub("", text), _BRACKETED.sub("", text))
    return tuple(dict.fromkeys(form for form in forms if form))


def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            for form in normalize_header(alias):
                if index.setdefault(form, name) != name:
                    raise ValueError(f"header alias {alias!r} is listed for both {index[form]} and {name}")
    return index


_ALIAS_INDEX = _alias_index()


def field_for_header(header: str) -> str | None:
    """The CatalogueItem field a column header or key stands for, or None for an extra column."""
    for form in normalize_header(header):
        if form in _ALIAS_INDEX:
            return _ALIAS_INDEX[form]
    return None


# --- rows, whatever the file type -----------------------------------------------------------


@dataclass
class _Row:
    """One source row, its cells already sorted into fields and extras."""

    number: int
    fields: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(self.fields.values()) and not any(value for _, value in self.extra)


@dataclass
class _Table:
    rows: list[_Row]
    title: str = ""
    warnings: list[str] = field(default_factory=list)


def parse_catalogue(path: Path) -> Document:
    """A catalogue file (.csv, .xlsx, .json, .yaml, .yml) as a Document of kind "catalogue".

    A CSV or XLSX table that is no catalogue comes back as a Document of kind "register".
    """
    path = Path(path)
    suffix = path.suffix.lower()
    table: _Table | Document
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix == ".xlsx":
        table = _read_xlsx(path)
    elif suffix == ".json":
        table = _read_mapping_rows(_load_json(path), path.name)
    elif suffix in (".yaml", ".yml"):
        table = _read_mapping_rows(_load_yaml(path), path.name)
    else:
        raise ParseError(f"{path.name}: not a catalogue file type ({suffix or 'no suffix'})")
    if isinstance(table, Document):
        return table
    return _build_document(table, path)


def render_item(item: CatalogueItem) -> str:
    """The item's text block: its path line, then one "标签：值" line per non-empty field."""
    lines = [SECTION_SEPARATOR.join(item.path)]
    lines.extend(
        f"{FIELD_LABELS[name]}：{value}" for name in _DESCRIPTION_FIELDS if (value := getattr(item, name))
    )
    return "\n".join(lines)


def catalogue_chunks(doc: Document) -> list[Chunk]:
    """One Chunk per catalogue item: its block, its path as section path, its fields as meta."""
    chunks: list[Chunk] = []
    for item in doc.items:
        meta = {"row": str(item.row)}
        meta.update({name: value for name in FIELDS if (value := getattr(item, name))})
        chunks.append(
            Chunk(
                doc_id=doc.id,
                text=doc.text[item.start : item.end],
                start=item.start,
                end=item.end,
                section_path=item.path,
                page=None,
                meta=meta,
            )
        )
    return chunks


def _build_document(table: _Table, path: Path) -> Document:
    """Check the rows, render the valid ones into blocks and wrap them in a Document."""
    warnings = list(table.warnings)
    blocks: list[str] = []
    items: list[CatalogueItem] = []
    offset = 0
    for row in table.rows:
        if row.is_empty():
            continue
        missing = _missing_fields(row)
        if missing:
            warnings.append(f"row {row.number}: missing {missing}")
            continue
        item = CatalogueItem(**{name: row.fields.get(name, "") for name in FIELDS}, row=row.number)
        block = render_item(item)
        items.append(replace(item, start=offset, end=offset + len(block), extra=tuple(row.extra)))
        blocks.append(block)
        offset += len(block) + 2  # the blank line between blocks
    if not items:
        shown = "; ".join(warnings[:_MAX_WARNINGS_IN_ERROR])
        more = (
            f" (+{len(warnings) - _MAX_WARNINGS_IN_ERROR} more)"
            if len(warnings) > _MAX_WARNINGS_IN_ERROR
            else ""
        )
        reason = f": {shown}{more}" if shown else " below the header"
        raise ParseError(f"{path.name}: no catalogue rows{reason}")
    for warning in warnings:
        log.info("%s: %s", path.name, warning)
    text = "\n\n".join(blocks) + "\n"
    return Document(
        id=document_id(text),
        title=table.title or path.stem,
        source=str(path),
        kind="catalogue",
        text=text,
        items=tuple(items),
        warnings=tuple(warnings),
    )


def _missing_fields(row: _Row) -> str:
    """What a row lacks, as the warning names it; "" if nothing.

    A row needs its unit and something to say about it: a category, an item, or (for a
    unit-level row such as "清廉医院: 药品集采、医保基金使用问题") a standard or a problem.
    """
    missing = []
    if not row.fields.get("unit"):
        missing.append(f"{FIELD_LABELS['unit']} (unit)")
    if not any(row.fields.get(field) for field in ("category", "item", "standard", "problem")):
        missing.append(
            f"{FIELD_LABELS['category']}, {FIELD_LABELS['item']}, {FIELD_LABELS['standard']} or "
            f"{FIELD_LABELS['problem']} (category, item, standard or problem)"
        )
    return " and ".join(missing)


def _clean(value: Any) -> str:
    """A cell as stripped text: numbers without a spurious ".0", dates in ISO form, no blank lines."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(text for part in value if (text := _clean(part)))
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    # A blank line inside a cell would split the item's block in the rendered text.
    return _BLANK_LINES.sub("\n", text)


# --- CSV and XLSX: a header row, then data rows -----------------------------------------------


@dataclass(frozen=True)
class _Header:
    fields: dict[int, str]  # column index -> field
    labels: dict[int, str]  # column index -> the header text, for extras
    warnings: tuple[str, ...] = ()


def _map_header(cells: Sequence[str], row_number: int) -> _Header:
    """Which column is which field; a second column for the same field is kept as an extra."""
    fields: dict[int, str] = {}
    labels: dict[int, str] = {}
    warnings: list[str] = []
    taken: dict[str, str] = {}
    for index, header in enumerate(cells):
        labels[index] = header or f"column {index + 1}"
        name = field_for_header(header) if header else None
        if name is None:
            continue
        if name in taken:
            warnings.append(
                f"row {row_number}: column {header!r} is another {name} column after {taken[name]!r}; "
                "kept as an extra column"
            )
            continue
        taken[name] = header
        fields[index] = name
    return _Header(fields, labels, tuple(warnings))


def _row_from_cells(cells: Sequence[str], number: int, header: _Header) -> _Row:
    row = _Row(number)
    for index, value in enumerate(cells):
        name = header.fields.get(index)
        if name is not None:
            row.fields[name] = value
        elif value:
            row.extra.append((header.labels.get(index, f"column {index + 1}"), value))
    return row


def _table_from_rows(rows: Iterable[tuple[int, list[str]]], name: str, where: str = "") -> _Table | list[str]:
    """A _Table from numbered rows of cleaned cells, or the first non-empty row if no header is found.

    The header is the first row naming a unit or an item column; one that names an item but
    no unit is no catalogue header (every catalogue row needs its unit, so not one row could
    be kept), which makes the file a register.
    """
    rows = iter(rows)
    first: list[str] = []
    title = ""
    header: _Header | None = None
    header_row = 0
    seen = 0
    for number, cells in rows:
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        seen += 1
        if not first:
            first = filled
        candidate = _map_header(cells, number)
        if {"unit", "item"} & set(candidate.fields.values()):
            header, header_row = candidate, number
            break
        if len(set(filled)) == 1 and not title:
            title = filled[0]
        if seen >= HEADER_SEARCH_ROWS:
            break
    if header is None or "unit" not in header.fields.values():
        return first
    log.debug("%s%s: header in row %d: %s", name, where, header_row, header.fields)
    table = _Table([], title=title, warnings=list(header.warnings))
    table.rows = [_row_from_cells(cells, number, header) for number, cells in rows]
    return table


def _no_header_error(name: str, found: Sequence[str]) -> ParseError:
    headers = ", ".join(repr(cell) for cell in found[:12]) or "(none)"
    units = "、".join(HEADER_ALIASES["unit"][:3])
    items = "、".join(HEADER_ALIASES["item"][:3])
    return ParseError(
        f"{name}: no catalogue header found (columns: {headers}); a header needs a unit column "
        f"({units}, unit …) or an item column ({items}, item …)"
    )


def _read_csv(path: Path) -> _Table | Document:
    """The catalogue in a CSV file, or the file as a register when it has no catalogue header."""
    text = decode_text(path.read_bytes(), path.name)
    delimiter = _sniff_delimiter(text)
    log.debug("%s: delimiter %r", path.name, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        # reader.line_num counts physical lines; the row a spreadsheet shows counts records.
        for number, record in enumerate(_guarded(reader, path.name), start=1):
            yield number, [_clean(cell) for cell in record]

    rows = list(numbered())  # the text is in memory already; the register needs every row
    table = _table_from_rows(rows, path.name)
    if isinstance(table, list):
        log.debug("%s: no catalogue header (first row %s); reading it as a register", path.name, table[:12])
        return register_document(rows, path, delimiter=delimiter)
    return table


def _guarded(reader: Iterator[list[str]], name: str) -> Iterator[list[str]]:
    """The reader's records, with csv.Error turned into a ParseError naming the record."""
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ParseError(f"{name}: not a readable CSV file at row {number + 1} ({error})") from error
        number += 1
        yield record


def _sniff_delimiter(text: str) -> str:
    """The delimiter csv.Sniffer finds among , ; tab |, if the header line has it; else the most used one.

    The check on the first line guards against the sniffer's guesses on short samples.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in first_line:
        return sniffed
    counts = {delimiter: first_line.count(delimiter) for delimiter in CSV_DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> _Table | Document:
    """The catalogue on the first sheet with a catalogue header, else a register (`_xlsx_register`)."""
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError as error:  # pragma: no cover - openpyxl is a dependency
        raise ParseError(f"{path.name}: reading .xlsx needs openpyxl (pip install openpyxl)") from error
    check_zip_package(path, "XLSX")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise ParseError(f"{path.name}: not a valid XLSX workbook ({type(error).__name__})") from error
    try:
        filled: list[Any] = []  # the sheets with something on them, for a register
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # the stored dimensions may be wrong; read every row
            table = _table_from_rows(_sheet_rows(sheet), path.name, f" [{sheet.title}]")
            if isinstance(table, list):
                if table:
                    filled.append(sheet)
                continue
            table.title = _xlsx_title(workbook, sheet, table.title)
            return table
        if not filled:
            raise ParseError(f"{path.name}: no filled cells on any sheet")
        return _xlsx_register(workbook, filled, path)
    finally:
        workbook.close()


def _xlsx_register(workbook: Any, sheets: Sequence[Any], path: Path) -> Document:
    """The register on the first of `sheets` holding a table of two columns or more.

    A workbook often opens with a sheet of notes (说明) before the table; a sheet of single
    cells is read only when no sheet holds more. The sheets are read again from the start:
    the catalogue's header search stopped after a few rows. The other filled sheets are
    named in a warning.
    """
    stated = _clean(getattr(workbook.properties, "title", None))
    chosen: tuple[Any, Document] | None = None
    refusal: ParseError | None = None
    for sheet in sheets:
        try:
            doc = register_document(_sheet_rows(sheet), path, title=stated, fallback_title=_sheet_title(sheet))
        except ParseError as error:
            log.debug("%s [%s]: %s", path.name, sheet.title, error)
            refusal = refusal or error
            continue
        if chosen is None:
            chosen = sheet, doc
        if len({header for record in doc.records for header, _ in record.cells if header}) >= 2:
            chosen = sheet, doc
            break
    if chosen is None:  # every sheet was refused
        raise refusal or ParseError(f"{path.name}: no table on any sheet")
    sheet, doc = chosen
    log.debug("%s: no catalogue header; sheet %r read as a register", path.name, sheet.title)
    others = [other.title for other in sheets if other is not sheet]
    if not others:
        return doc
    warning = (
        f"sheets {', '.join(repr(title) for title in others)} not read: a register is read from one sheet "
        f"({sheet.title!r})"
    )
    log.info("%s: %s", path.name, warning)
    return replace(doc, warnings=(*doc.warnings, warning))


def _xlsx_title(workbook: Any, sheet: Any, title_row: str) -> str:
    """The workbook's title property, a title row above the header, or a sheet name that means something."""
    stored = _clean(getattr(workbook.properties, "title", None))
    if stored:
        return stored
    if title_row:
        return title_row
    return _sheet_title(sheet)


def _sheet_title(sheet: Any) -> str:
    """The sheet's name, unless it is one a spreadsheet program made up ("Sheet1")."""
    name = sheet.title.strip()
    return "" if _DEFAULT_SHEET_TITLE.match(name) else name


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number, cleaned cells) of a read-only sheet; a cell merged down a column repeats its value.

    Only the first column of a merged range is filled: a range merged across columns (a
    category spanning the empty item column) means one value, not the same value twice.
    """
    spans: dict[int, list[tuple[int, int]]] = {}  # column -> (first row, last row) merged down it
    for min_col, min_row, _, max_row in _merged_ranges(sheet):
        if max_row > min_row:
            spans.setdefault(min_col, []).append((min_row, max_row))
    anchors: dict[tuple[int, int], str] = {}  # (first row, column) of a range -> its value
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_clean(value) for value in values]
        for column, column_spans in spans.items():
            for first, last in column_spans:
                if number == first:
                    anchors[(first, column)] = cells[column - 1] if column <= len(cells) else ""
                elif first < number <= last and (value := anchors.get((first, column))):
                    cells.extend([""] * (column - len(cells)))  # a row may stop before the range
                    cells[column - 1] = cells[column - 1] or value
        yield number, cells


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of the sheet's merged cells.

    openpyxl's read-only sheets do not expose merged cells, so the <mergeCell ref="A2:A5"/>
    elements are read from the sheet's XML, streamed through the sheet's own source stream
    (a private openpyxl method; without it merged cells are simply not filled).
    """
    from openpyxl.utils.cell import range_boundaries

    open_source = getattr(sheet, "_get_source", None)
    if open_source is None:
        log.debug("openpyxl read-only sheet has no _get_source; merged cells are not filled")
        return []
    ranges: list[tuple[int, int, int, int]] = []
    with open_source() as source:
        for _, element in ElementTree.iterparse(source):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                try:
                    bounds = range_boundaries(element.get("ref"))
                except ValueError:
                    log.debug("ignoring merged range %r", element.get("ref"))
                else:
                    if None not in bounds:
                        ranges.append(bounds)  # type: ignore[arg-type]
            element.clear()
    return ranges


# --- JSON and YAML: a list of objects -----------------------------------------------------------


def _load_json(path: Path) -> Any:
    text = decode_text(path.read_bytes(), path.name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(
            f"{path.name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error


def _load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError as error:  # pragma: no cover - pyyaml is a dependency
        raise ParseError(f"{path.name}: reading YAML needs PyYAML (pip install pyyaml)") from error
    text = decode_text(path.read_bytes(), path.name)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())
        raise ParseError(f"{path.name}: not valid YAML ({detail[:160]})") from error


def _read_mapping_rows(data: Any, name: str) -> _Table:
    """Rows from a list of objects, {"title", "items"}, or the nested {"title", "units"} form."""
    title = ""
    if isinstance(data, Mapping):
        title = _clean(data.get("title"))
        entries = data.get(_ITEMS_KEY, data.get(_UNITS_KEY))
        if not isinstance(entries, list):
            keys = ", ".join(repr(str(key)) for key in list(data)[:12]) or "(none)"
            raise ParseError(
                f"{name}: expected a list of rows or an object with an 'items' or 'units' list (keys: {keys})"
            )
    elif isinstance(data, list):
        entries = data
    else:
        raise ParseError(
            f"{name}: expected a list of rows or an object with an 'items' list, not {type(data).__name__}"
        )

    mappings = [entry for entry in entries if isinstance(entry, Mapping)]
    nested = any(isinstance(entry.get(_CATEGORIES_KEY), list) for entry in mappings)
    keys = list(dict.fromkeys(str(key) for entry in mappings for key in entry))
    if mappings and not nested and not any(field_for_header(key) in ("unit", "item") for key in keys):
        raise _no_header_error(name, keys)

    table = _Table([], title=title)
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get(_CATEGORIES_KEY), list):
            for fields in _flatten_unit(entry):
                table.rows.append(_row_from_mapping(fields, len(table.rows) + 1))
        elif isinstance(entry, Mapping):
            table.rows.append(_row_from_mapping(entry, len(table.rows) + 1))
        elif entry is None or entry == "":
            table.rows.append(_Row(len(table.rows) + 1))  # an empty row, skipped silently
        else:
            number = len(table.rows) + 1
            table.rows.append(_Row(number))
            table.warnings.append(f"row {number}: not an object ({type(entry).__name__}); skipped")
    return table


def _row_from_mapping(entry: Mapping[Any, Any], number: int) -> _Row:
    row = _Row(number)
    for key, value in entry.items():
        name = field_for_header(str(key))
        text = _clean(value)
        if name is not None and not row.fields.get(name):  # the first filled key for a field wins
            row.fields[name] = text
        elif text:
            row.extra.append((str(key), text))
    return row


def _level_name(entry: Mapping[Any, Any], level: str) -> str:
    """The name of a nested unit/category/item: its "name" key or a key that means this level."""
    for key, value in entry.items():
        if str(key).strip().lower() in _NAME_KEYS or field_for_header(str(key)) == level:
            return _clean(value)
    return ""


def _own_fields(entry: Mapping[Any, Any], children: str | None) -> dict[Any, Any]:
    """The keys of a nested entry other than its name, its level keys and its children list."""
    return {
        key: value
        for key, value in entry.items()
        if key != children
        and str(key).strip().lower() not in _NAME_KEYS
        and field_for_header(str(key)) not in _LEVELS
    }


def _flatten_unit(unit: Mapping[Any, Any]) -> Iterator[dict[str, Any]]:
    """Flat rows from one nested unit: a row per item, and per category without items or with fields."""
    unit_name = _level_name(unit, "unit")
    for category in unit.get(_CATEGORIES_KEY) or [None]:
        if not isinstance(category, Mapping):
            yield {"unit": unit_name, "category": _clean(category)}
            continue
        category_name = _level_name(category, "category")
        own = _own_fields(category, _ITEMS_KEY)
        items = category.get(_ITEMS_KEY)
        items = items if isinstance(items, list) else []
        if not items or any(_clean(value) for value in own.values()):
            yield {"unit": unit_name, "category": category_name, **own}
        for item in items:
            if isinstance(item, Mapping):
                yield {
                    "unit": unit_name,
                    "category": category_name,
                    "item": _level_name(item, "item"),
                    **_own_fields(item, None),
                }
            else:
                yield {"unit": unit_name, "category": category_name, "item": _clean(item)}
