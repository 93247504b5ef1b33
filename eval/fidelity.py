"""Ingest fidelity: what reached the index, file by file, compared with what a reader of the file sees.

Every file is parsed with `parse_file` and chunked exactly as ingestion does (no embedding model,
no knowledge base), and the chunks are compared with a *reference* text extracted by a tool
independent of our parsers:

    PDF    `pdftotext -layout` (poppler-utils); pypdfium2's raw page text when poppler is missing
    DOCX   LibreOffice's text export (eval.libreoffice); the raw w:t text of word/document.xml without it
    HTML   all visible text of <body> (lxml, minus script/style/noscript/template)
    TXT    the file itself (Markdown too)

Only the decoding of HTML and text bytes is shared with the parsers (`decode_html`, `decode_text`):
it picks the character set, not the text. Catalogues (CSV, XLSX, JSON, YAML) have no reference.

The measures, per file (`FileFidelity`):

- **kept**: share of the reference's characters found in the indexed text, counted as a multiset
  of characters (order-free: two extractors lay out columns and line breaks differently, and
  character bigrams would count every such junction as a loss). Whitespace and the "|" the
  parsers put between table cells are not counted; the reference is cleaned with `clean_text`
  (what a reader sees: 第⼀条 is 第一条), the indexed text is not, so unfolded radicals count as
  lost. For HTML the direction is reversed: the share of *our* characters found in the page's
  body text, since the page holds navigation and footers we mean to drop (`reference_chars`
  beside `chars` shows how much was dropped).
- **articles** (law-like texts: >= 2 lines starting with 第X条 in the reference or our text):
  distinct article labels at line start in the reference, how many of them label at least one
  chunk (the last 第X条 entry of its section path), and how many chunks carry a label the
  reference lacks or that names another article than the one their text starts with. In a
  compilation (article numbering restarting at 第一条) the keys are (regulation, article) pairs;
  regulations are numbered by those restarts on both sides, so the count does not depend on the
  chunker naming regulations (`chunk_regulations` says whether it does).
- **leaked**: lines among the first and last 3 of the reference's pages that repeat, digits aside,
  on >= 30 % of the pages (at least 2): running headers and footers; counted are the
  chunks holding such a line, and page-number lines ("—13—", "- 3 -", "第3页") inside chunk text.
- **compat**: radical and compatibility code points left in the indexed text and the title.
- **bare headings**: chunks that are one short line (<= 30 characters) without sentence punctuation.
- **title ok** / **articles ok**: against an expectations file, {"file name": {"title", "articles"}}:
  the title equal apart from whitespace and 《》, as many articles labelling chunks as expected.
- **文号 / 施行日期** (and issuer, issue date): the official-document fields `ingest.official` read
  (`Document.official`). Against the expectations' "doc_number" and "effective" (an empty string:
  the file states none), ✓ when equal: a field found where the file states none counts as wrong,
  so the check catches invented values as well as missed ones.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import re
import shutil
import subprocess
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Protocol

from ingest.chunking import STRUCTURE_PATTERNS, chinese_number, chunk_document
from ingest.normalize import clean_text, compatibility_points
from ingest.ocr import OcrOptions
from ingest.parsers import parse_file
from ingest.parsers.catalogue import catalogue_chunks
from ingest.parsers.register import register_chunks
from ingest.types import Chunk, Document, ParseError

log = logging.getLogger(__name__)

__all__ = [
    "Expectation", "FidelityListener", "FidelityParams", "FileFidelity", "Reference", "ReferenceMode",
    "ReferenceUnavailable", "article_key", "compare", "discover", "extract_reference", "fidelity_report",
    "file_fidelity", "furniture_lines", "indexed_text", "is_bare_heading", "is_page_number_line",
    "kept_share", "load_expectations", "row_cells", "summary", "to_markdown",
]  # fmt: skip

PDFTOTEXT_TIMEOUT_SECONDS = 300
# A page with fewer visible characters than this has no text layer (as ingest.parsers.pdf counts).
NEARLY_EMPTY_PAGE_CHARS = 16
# Running headers and footers: looked for among this many lines at the top and bottom of each page,
# repeating on FURNITURE_PAGE_SHARE of the pages and on FURNITURE_MIN_PAGES at least. A fixed
# count of 3 pages is too few for long files: in the 176-page 学生手册 the first line of the
# regulation titles that open 26 pages ("杭州电子科技大学信息工程学院") would count as a header;
# running headers and footers stand on nearly every page (or every other one).
FURNITURE_EDGE_LINES = 3
FURNITURE_MIN_PAGES = 2
FURNITURE_PAGE_SHARE = 0.3
BARE_HEADING_MAX_CHARS = 30
# Characters that end or split a sentence. A bare heading has none ("、" of 一、 is a label); a line
# ending with one is running text, never a header or footer (a compilation's regulations may all
# end on "本办法自发布之日起施行。" at the foot of a page).
_SENTENCE_PUNCTUATION = frozenset("。！？；，：!?;,:")
# Not counted by `kept`: parsers join table cells with " | ", which no reference has.
_UNCOUNTED = frozenset("|")

_NUMERAL = r"[一二三四五六七八九十百千零〇两]+|[0-9０-９]+"
# 第X条 opening a line is an article label unless the words after it make it a citation that a
# wrapped line happens to start with (第八条第二款, 第八条规定的, 第八条中的, 第八条、第九条). A
# label followed by a space is always one; "中华" is a word, not 中 "in" (第二条中华人民共和国境内…).
# 笫 (a bed mat, never found in policy prose) is the look-alike typo of 第 a reader reads as 第.
# Written apart from the chunker's pattern so the reference count does not share its blind spots.
_CITATION_AFTER = r"(?:款|项|第|规定|的|中(?!华)|所|至|和|或|及|[、，,])"
_ARTICLE_LABEL = re.compile(
    rf"[第笫]\s*({_NUMERAL})\s*条(?:\s*之\s*({_NUMERAL}))?(?:(?=\s)|(?!{_CITATION_AFTER}))"
)
_DIGITS = re.compile(r"[0-9０-９]+")
# A line that is only a printed page number: —13—, - 3 -, 第3页, 3/10, 第 3 页 共 10 页, or a bare 1-3 digits.
_DASHES = r"[-－—–―‐‑~～_·•\s]*"
_PAGE_NUMBER_LINE = re.compile(
    rf"^{_DASHES}(?:第\s*)?[0-9０-９]{{1,4}}\s*页?"
    rf"(?:\s*[/／]\s*[0-9０-９]{{1,4}}\s*页?|\s*共\s*[0-9０-９]{{1,4}}\s*页)?{_DASHES}$"
)
_DECORATED = re.compile(r"[-－—–―‐‑~～_·•页/／]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")
_HTML_BLOCKS = frozenset({
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
    "article", "blockquote", "pre", "dd", "dt", "ul", "ol", "header", "footer", "nav", "aside", "form",
})  # fmt: skip
_WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TITLE_IGNORED = re.compile(r"[\s《》]+")


class ReferenceMode(str, Enum):
    """auto: extract a reference text per file where a tool for its type exists; none: skip references."""

    auto = "auto"
    none = "none"


@dataclass(frozen=True)
class FidelityParams:
    """What shapes the report: the chunk sizes and file rules of ingestion, OCR, and the references."""

    max_chars: int = 400
    min_chars: int = 80
    overlap_chars: int = 60
    max_bytes: int | None = None
    ocr: OcrOptions | None = None
    ignore: tuple[str, ...] = ()
    reference: ReferenceMode = ReferenceMode.auto


@dataclass(frozen=True)
class Expectation:
    """What a reader sees in a file: its title and, for a law-like text, its number of articles."""

    title: str | None = None
    articles: int | None = None
    doc_number: str | None = None  # the 文号 the file states ("" when it states none)
    effective: str | None = None  # the 施行日期 it states, ISO ("" when none)


@dataclass(frozen=True)
class FileFidelity:
    """One file's row of the report; None means "not measured" (no reference, not law-like, not expected)."""

    file: str
    kind: str = ""
    title: str = ""
    pages: int | None = None
    chunks: int = 0
    chars: int = 0  # visible characters of the indexed text (chunk spans merged: overlaps counted once)
    reference: str = ""  # the tool the reference text came from; "" when there is none
    reference_note: str = ""  # why there is no reference, or why the fallback tool was used
    reference_chars: int | None = None
    kept: float | None = None
    kept_reversed: bool = False  # HTML: kept is the share of our text found in the page
    articles: int | None = None  # distinct article labels (or (regulation, article) pairs) of the reference
    articles_from: str = ""  # "reference", or "parsed" when there is no reference (a scan read by OCR)
    articles_labelled: int | None = None
    articles_wrong: int | None = None
    regulations: int | None = None  # regulations of a compilation (numbering restarts + 1)
    chunk_regulations: int | None = None  # distinct regulation titles heading the article chunks' paths
    furniture: int | None = None  # distinct header/footer lines of the reference (paged references only)
    leaked: int | None = None  # chunks holding a header/footer line
    leaked_lines: tuple[str, ...] = ()  # a few of the leaked header/footer lines, as in the reference
    page_number_lines: int | None = None  # page-number lines inside chunk text (paged documents only)
    compat: int = 0
    bare_headings: int = 0
    expected_title: str | None = None
    title_ok: bool | None = None
    expected_articles: int | None = None
    articles_ok: bool | None = None  # as many articles label chunks as expected
    ocr: bool = False
    ocr_confidence: float | None = None
    doc_number: str = ""  # the official-document fields read from the file (ingest.official)
    issuer: str = ""
    issued: str = ""
    effective: str = ""
    expires: str = ""
    expected_doc_number: str | None = None
    doc_number_ok: bool | None = None
    expected_effective: str | None = None
    effective_ok: bool | None = None
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Reference:
    """Reference text of a file; `pages` holds the page texts of a paged source (else empty)."""

    text: str
    source: str
    pages: tuple[str, ...] = ()
    note: str = ""


class ReferenceUnavailable(Exception):
    """No independent text of this file could be had; the message says why."""


class FidelityListener(Protocol):
    """Progress of a report: the CLI draws it as a bar."""

    def files_found(self, total: int) -> None: ...

    def file_started(self, path: Path) -> None: ...

    def file_done(self, row: FileFidelity) -> None: ...


class _Silent:
    def files_found(self, total: int) -> None:
        pass

    def file_started(self, path: Path) -> None:
        pass

    def file_done(self, row: FileFidelity) -> None:
        pass


# --- the report ------------------------------------------------------------------------------


def discover(paths: Iterable[Path], ignore: Sequence[str] = ()) -> list[tuple[Path, str]]:
    """(file, shown name) of the files to report on, with ingestion's rules: named files as given,
    folders walked recursively minus names matching `ignore` (index.kb.KnowledgeBase.discover,
    which needs an open base). The shown name is relative to the folder it was found in."""
    found: dict[Path, str] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path).parts
                if file.is_file() and not any(fnmatch.fnmatch(part, p) for part in relative for p in ignore):
                    found.setdefault(file, "/".join(relative))
        else:
            found.setdefault(path, path.name)
    return list(found.items())


def fidelity_report(
    paths: Iterable[Path],
    params: FidelityParams,
    expectations: dict[str, Expectation] | None = None,
    listener: FidelityListener | None = None,
) -> list[FileFidelity]:
    """One row per file under `paths`; a file that fails gets a row with its error and the batch goes on."""
    listener = listener or _Silent()
    expectations = expectations or {}
    files = discover(paths, params.ignore)
    listener.files_found(len(files))
    rows = []
    for path, shown in files:
        listener.file_started(path)
        expected = expectations.get(shown) or expectations.get(path.name)
        row = file_fidelity(path, params, expected, shown)
        rows.append(row)
        listener.file_done(row)
    return rows


def file_fidelity(
    path: Path, params: FidelityParams, expected: Expectation | None = None, shown: str | None = None
) -> FileFidelity:
    """The report row of one file: parse, chunk, extract the reference, `compare`.

    A file that cannot be parsed or chunked gets a row with its error, and the size of its
    reference text when there is one (0 says the file holds no text for anyone).
    """
    started = time.perf_counter()
    shown = shown or path.name
    reference, note = _reference_or_note(path, params.reference)
    failed = FileFidelity(
        shown, kind=_kind_of(path), reference=reference.source if reference else "", reference_note=note,
        reference_chars=_visible(reference.text) if reference else None,
    )
    try:
        doc = parse_file(path, params.max_bytes, params.ocr)
    except ParseError as error:
        return replace(failed, error=str(error), seconds=_since(started))
    except Exception as error:  # noqa: BLE001 -- parse_file should allow only ParseError; the batch goes on
        log.warning("parsing %s failed", path, exc_info=True)
        message = f"{path.name}: parsing crashed ({type(error).__name__}: {error})"
        return replace(failed, error=message, seconds=_since(started))
    try:
        chunks = _chunks(doc, params)
    except Exception as error:  # noqa: BLE001 -- a chunker crash on one file must not end the batch
        log.warning("chunking %s failed", path, exc_info=True)
        message = f"{path.name}: chunking failed ({type(error).__name__}: {error})"
        return replace(failed, kind=doc.kind, title=doc.title, pages=len(doc.pages) or None, error=message,
                       seconds=_since(started))
    if reference is not None and not _visible(reference.text):
        reference, note = None, f"{reference.source} found no text"
    row = compare(shown, doc, chunks, reference, expected, note)
    return replace(row, seconds=_since(started))


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def _reference_or_note(path: Path, mode: ReferenceMode) -> tuple[Reference | None, str]:
    if mode is ReferenceMode.none:
        return None, "references off"
    try:
        return extract_reference(path), ""
    except ReferenceUnavailable as why:
        return None, str(why)
    except Exception as error:  # noqa: BLE001 -- a broken reference costs the comparison, not the row
        log.warning("no reference text for %s", path, exc_info=True)
        return None, f"reference failed: {type(error).__name__}: {error}"


def compare(
    file: str,
    doc: Document,
    chunks: Sequence[Chunk],
    reference: Reference | None,
    expected: Expectation | None = None,
    note: str = "",
) -> FileFidelity:
    """The measures of one parsed and chunked document against its reference (None: not available)."""
    indexed = indexed_text(doc, chunks)
    row: dict = dict(
        file=file, kind=doc.kind, title=doc.title, pages=len(doc.pages) or None, chunks=len(chunks),
        chars=_visible(indexed), compat=compatibility_points(doc.title) + compatibility_points(indexed),
        bare_headings=sum(1 for chunk in chunks if is_bare_heading(chunk.text)),
        ocr=doc.ocr, ocr_confidence=getattr(doc, "ocr_confidence", None) if doc.ocr else None,
        reference_note=note, doc_number=doc.official.doc_number, issuer=doc.official.issuer,
        issued=doc.official.issued, effective=doc.official.effective, expires=doc.official.expires,
    )
    if doc.pages:
        row["page_number_lines"] = sum(
            1 for chunk in chunks for line in chunk.text.splitlines() if is_page_number_line(line)
        )
    if reference is not None:
        reversed_ = doc.kind == "html"
        row.update(
            reference=reference.source, reference_note=reference.note, kept_reversed=reversed_,
            reference_chars=_visible(reference.text),
            kept=kept_share(indexed, reference.text) if reversed_ else kept_share(reference.text, indexed),
        )
        if reference.pages:
            furniture = furniture_lines(reference.pages)
            leaks = _leaks(chunks, furniture)
            found = sorted({furniture[key] for keys in leaks.values() for key in keys})
            row.update(furniture=len(furniture), leaked=len(leaks), leaked_lines=tuple(found[:5]))
    row.update(_article_columns(doc, chunks, reference))
    if expected is not None:
        if expected.title is not None:
            row.update(expected_title=expected.title, title_ok=_same_title(doc.title, expected.title))
        if expected.articles is not None:
            # ok when every expected article labels a chunk (the count the reader made by hand)
            labelled = row.get("articles_labelled")
            row.update(expected_articles=expected.articles, articles_ok=labelled == expected.articles)
        if expected.doc_number is not None:
            row.update(expected_doc_number=expected.doc_number,
                       doc_number_ok=doc.official.doc_number == expected.doc_number)
        if expected.effective is not None:
            row.update(expected_effective=expected.effective,
                       effective_ok=doc.official.effective == expected.effective)
    return FileFidelity(**row)


def _chunks(doc: Document, params: FidelityParams) -> list[Chunk]:
    """The chunks ingestion would store (index.kb.KnowledgeBase._ingest_file); context headers are
    left out, they are not text of the file."""
    if doc.items:
        return catalogue_chunks(doc)
    if doc.records:
        return register_chunks(doc, params.max_chars)
    return chunk_document(doc, max_chars=params.max_chars, min_chars=params.min_chars,
                          overlap_chars=params.overlap_chars, context=False)


def _kind_of(path: Path) -> str:
    return path.suffix.lower().lstrip(".") or "?"


def _visible(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def indexed_text(doc: Document, chunks: Sequence[Chunk]) -> str:
    """The document text the chunks cover, each character once (overlaps merged), pieces on their own lines.

    Chunks are spans of doc.text; a chunk that is not (a parser or chunker bug) adds its own text.
    """
    spans: list[tuple[int, int]] = []
    loose: list[str] = []
    for chunk in chunks:
        if doc.text[chunk.start : chunk.end] == chunk.text:
            spans.append((chunk.start, chunk.end))
        else:
            loose.append(chunk.text)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return "\n".join([doc.text[start:end] for start, end in merged] + loose)


# --- kept ------------------------------------------------------------------------------------


def _character_counts(text: str) -> Counter[str]:
    return Counter(char for char in text if not char.isspace() and char not in _UNCOUNTED)


def kept_share(whole: str, found_in: str) -> float | None:
    """Share of the characters of `whole` found in `found_in`, as multisets (whitespace and "|" aside).

    A character occurring n times in `whole` and m times in `found_in` counts min(n, m) times.
    None when `whole` has no counted character.
    """
    wanted = _character_counts(whole)
    total = sum(wanted.values())
    if not total:
        return None
    have = _character_counts(found_in)
    return sum(min(count, have[char]) for char, count in wanted.items()) / total


# --- articles --------------------------------------------------------------------------------


def article_key(line: str) -> str | None:
    """The label a line starts with, as a comparable key ("第十一条" and "第 11 条" -> "第11条"), or None.

    A line starting with a citation ("第八条规定的…", "第八条第二款") has no label.
    """
    match = _ARTICLE_LABEL.match(line.strip())
    if match is None:
        return None
    number = chinese_number(match.group(1))
    key = f"第{number if number is not None else match.group(1)}条"
    if match.group(2):
        sub = chinese_number(match.group(2))
        key += f"之{sub if sub is not None else match.group(2)}"
    return key


def _number_of(key: str) -> int | None:
    digits = re.match(r"第(\d+)条", key)
    return int(digits.group(1)) if digits else None


def _by_regulation(keys: Iterable[str]) -> list[tuple[int, str]]:
    """(regulation ordinal, key) for article keys in document order: a new regulation starts where
    the numbering falls back to 第一条 after a higher number (the chunker's own rule)."""
    ordinal, highest = 0, 0
    numbered = []
    for key in keys:
        number = _number_of(key) or 0
        if number == 1 and highest > 1:
            ordinal, highest = ordinal + 1, 0
        highest = max(highest, number)
        numbered.append((ordinal, key))
    return numbered


def _article_lines(text: str) -> list[str]:
    return [key for line in clean_text(text).splitlines() if (key := article_key(line)) is not None]


def _chunk_label(chunk: Chunk) -> str | None:
    """The key of the last 第X条 entry of the chunk's section path."""
    for entry in reversed(chunk.section_path):
        key = article_key(re.sub(r"\s+", "", entry))
        if key is not None:
            return key
    return None


def _regulation_title(path: Sequence[str]) -> tuple[str, ...]:
    """The section path entries above its first 第X编/章/节/条 entry: a regulation's title in a compilation."""
    for depth, entry in enumerate(path):
        if any(pattern.match(entry.strip()) for pattern in STRUCTURE_PATTERNS.values()):
            return tuple(path[:depth])
    return tuple(path)


def _article_columns(doc: Document, chunks: Sequence[Chunk], reference: Reference | None) -> dict:
    ours = _article_lines(doc.text)
    source_lines = _article_lines(reference.text) if reference is not None else ours
    if len(source_lines) < 2 and len(ours) < 2:
        return {}
    wanted = _by_regulation(source_lines)
    regulations = (wanted[-1][0] + 1) if wanted else 0
    compilation = regulations > 1
    reference_keys = {(ordinal if compilation else 0, key) for ordinal, key in wanted}

    ordered = sorted(chunks, key=lambda chunk: chunk.start)
    labels = [(chunk, label) for chunk in ordered if (label := _chunk_label(chunk)) is not None]
    numbered = _by_regulation(label for _, label in labels)
    labelled: set[tuple[int, str]] = set()
    wrong = 0
    for (chunk, label), (ordinal, _) in zip(labels, numbered):
        key = (ordinal if compilation else 0, label)
        first_line = chunk.text.lstrip().split("\n", 1)[0]
        starts_with = article_key(clean_text(first_line))
        if key not in reference_keys or (starts_with is not None and starts_with != label):
            wrong += 1
        else:
            labelled.add(key)
    titles = {_regulation_title(chunk.section_path) for chunk, _ in labels} - {()}
    return {
        "articles": len(reference_keys),
        "articles_from": "reference" if reference is not None else "parsed",
        "articles_labelled": len(labelled),
        "articles_wrong": wrong,
        "regulations": regulations if compilation else None,
        "chunk_regulations": len(titles) if compilation else None,
    }


# --- headers, footers, page numbers, bare headings --------------------------------------------


def _furniture_key(line: str) -> str:
    """A line compared with header/footer lines: cleaned, without whitespace, digits as '#'."""
    return _DIGITS.sub("#", "".join(clean_text(line).split()))


def furniture_lines(pages: Sequence[str]) -> dict[str, str]:
    """Running headers and footers of paged text: key (see `_furniture_key`) -> the line as first seen.

    A line among the first or last FURNITURE_EDGE_LINES non-blank lines of a page is furniture when
    it repeats there, digits aside, on FURNITURE_PAGE_SHARE of the pages (at least FURNITURE_MIN_PAGES:
    2 of 2 to 6 pages, 3 of 10, 53 of 176). Structure lines (第一章 总则 opens many regulations of a
    compilation) and lines ending like a sentence never are.
    """
    needed = max(FURNITURE_MIN_PAGES, math.ceil(FURNITURE_PAGE_SHARE * len(pages)))
    seen: Counter[str] = Counter()
    first: dict[str, str] = {}
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        edges = lines[:FURNITURE_EDGE_LINES] + lines[FURNITURE_EDGE_LINES:][-FURNITURE_EDGE_LINES:]
        keys = set()
        for line in edges:
            cleaned = clean_text(line).strip()
            structure = any(pattern.match(cleaned) for pattern in STRUCTURE_PATTERNS.values())
            if not cleaned or structure or cleaned[-1] in _SENTENCE_PUNCTUATION:
                continue
            key = _furniture_key(line)
            if key:
                keys.add(key)
                first.setdefault(key, " ".join(line.split()))
        seen.update(keys)
    return {key: first[key] for key, count in seen.items() if count >= needed}


def _leaks(chunks: Sequence[Chunk], furniture: dict[str, str]) -> dict[int, set[str]]:
    """Chunk index -> the furniture keys among its lines (whole lines compared, digits aside)."""
    leaks: dict[int, set[str]] = {}
    if not furniture:
        return leaks
    for index, chunk in enumerate(chunks):
        found = {key for line in chunk.text.splitlines() if (key := _furniture_key(line)) in furniture}
        if found:
            leaks[index] = found
    return leaks


def is_page_number_line(line: str) -> bool:
    """A line that is only a printed page number: —13—, - 3 -, 第3页, 3/10, or 1-3 bare digits."""
    line = line.strip()
    if not _PAGE_NUMBER_LINE.match(line):
        return False
    digits = _DIGITS.findall(line)
    return bool(_DECORATED.search(line)) or (len(digits) == 1 and len(digits[0]) <= 3)


def is_bare_heading(text: str) -> bool:
    """A chunk that is only a heading line: one line of <= 30 characters without sentence punctuation."""
    text = text.strip()
    return (
        bool(text)
        and "\n" not in text
        and len(text) <= BARE_HEADING_MAX_CHARS
        and not any(char in _SENTENCE_PUNCTUATION for char in text)
    )


def _same_title(title: str, expected: str) -> bool:
    """Titles match when equal apart from whitespace and the book-title marks 《》."""
    return _TITLE_IGNORED.sub("", title) == _TITLE_IGNORED.sub("", expected)


# --- references --------------------------------------------------------------------------------


def extract_reference(path: Path) -> Reference:
    """The file's text as an independent tool reads it, cleaned like a reader sees it (`clean_text`)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        reference = _pdf_reference(path)
    elif suffix == ".docx":
        reference = _docx_reference(path)
    elif suffix in (".html", ".htm"):
        reference = _html_reference(path)
    elif suffix in (".txt", ".md", ".markdown"):
        from ingest.parsers.text import decode_text

        reference = Reference(decode_text(path.read_bytes(), path.name), "file")
    else:
        raise ReferenceUnavailable(f"no reference extractor for {suffix or 'files without a suffix'}")
    pages = tuple(clean_text(page) for page in reference.pages)
    return Reference(clean_text(reference.text), reference.source, pages, reference.note)


def _pdf_reference(path: Path) -> Reference:
    """pdftotext's pages; pypdfium2's when poppler is missing, fails, or finds no text (poppler
    without its poppler-data language packs cannot map fonts that are not embedded)."""
    pages, note = _pdftotext_pages(path)
    if pages is not None and not _no_text(pages):
        return Reference("\n".join(pages), "pdftotext", tuple(pages))
    try:
        import pypdfium2
    except ImportError:
        raise ReferenceUnavailable(f"{note}; pypdfium2 not installed either") from None
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
    finally:
        pdf.close()
    if _no_text(pages):
        raise ReferenceUnavailable("pdftotext and pypdfium2 found no text layer (a scan)")
    return Reference("\n".join(pages), "pypdfium2", tuple(pages), note)


def _pdftotext_pages(path: Path) -> tuple[list[str] | None, str]:
    """(page texts, "") from `pdftotext -layout`, or (None, why not)."""
    command = shutil.which("pdftotext")
    if command is None:
        return None, "pdftotext not installed"
    try:
        done = subprocess.run([command, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              timeout=PDFTOTEXT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return None, f"pdftotext took over {PDFTOTEXT_TIMEOUT_SECONDS} s"
    if done.returncode != 0:
        return None, f"pdftotext failed ({done.stderr.decode('utf-8', 'replace').strip()[:100]})"
    pages = done.stdout.decode("utf-8", errors="replace").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page, the last one too, with \f
    return pages, "" if not _no_text(pages) else "pdftotext found no text"


def _no_text(pages: Sequence[str]) -> bool:
    return all(_visible(page) < NEARLY_EMPTY_PAGE_CHARS for page in pages)


def _docx_reference(path: Path) -> Reference:
    note = ""
    try:
        from eval.libreoffice import libreoffice_text  # written alongside; absent in older trees
    except ImportError:
        note = "eval.libreoffice not available"
    else:
        try:
            return Reference(libreoffice_text(path), "libreoffice")
        except Exception as error:  # noqa: BLE001 -- soffice missing or failing: fall back to the XML
            log.info("LibreOffice could not read %s: %s", path, error)
            note = f"LibreOffice failed ({type(error).__name__}: {str(error)[:80]})"
    return Reference(_document_xml_text(path), "document.xml", note=note)


def _document_xml_text(path: Path) -> str:
    """The w:t text of word/document.xml, one line per paragraph (w:p), nothing Word computes
    (automatic numbering, fields) -- a floor, not what a reader sees."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as error:
        raise ReferenceUnavailable(f"not a readable DOCX ({error})") from error
    root = etree.fromstring(data, parser=etree.XMLParser(huge_tree=True, resolve_entities=False))
    lines = []
    for paragraph in root.iter(f"{_WORD_NS}p"):
        # a paragraph's own runs, not those of paragraphs nested in it (text boxes)
        texts = [t.text or "" for t in paragraph.iter(f"{_WORD_NS}t")
                 if next(t.iterancestors(f"{_WORD_NS}p")) is paragraph]
        lines.append("".join(texts))
    return "\n".join(lines)


def _html_reference(path: Path) -> Reference:
    """All visible text of <body>: every text node except those of script, style, noscript and
    template, with a line break around block elements."""
    import lxml.html
    from lxml import etree

    from ingest.parsers.html import decode_html  # the character set only

    page = _XML_DECLARATION.sub("", decode_html(path.read_bytes(), path.name), count=1)
    try:
        root = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError) as error:
        raise ReferenceUnavailable(f"lxml cannot read the page ({error})") from error
    body = root.find("body")
    body = body if body is not None else root
    for element in list(body.iter(*_INVISIBLE_TAGS)):
        element.drop_tree()  # keeps the text after the element (its tail)
    for element in body.iter(*_HTML_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    return Reference(body.text_content(), "html body")  # comments are no text nodes: left out


# --- expectations and Markdown -----------------------------------------------------------------


def load_expectations(path: Path) -> dict[str, Expectation]:
    """{"file name": {"title": "...", "articles": N, "doc_number": "...", "effective": "YYYY-MM-DD"}}
    from a JSON file; every field is optional ("" for doc_number/effective: the file states none)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the expectations file {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of file name -> {{title, articles}}")
    expectations = {}
    for name, entry in data.items():
        if name.startswith("_"):
            continue  # "_comment" and the like
        if not isinstance(entry, dict) or set(entry) - set(_EXPECTED_FIELDS):
            raise ValueError(f"{path}: {name!r} must be an object with only {', '.join(map(repr, _EXPECTED_FIELDS))}")
        title, articles = entry.get("title"), entry.get("articles")
        for field in ("title", "doc_number", "effective"):
            if entry.get(field) is not None and not isinstance(entry[field], str):
                raise ValueError(f"{path}: the {field} of {name!r} must be a string")
        counted = isinstance(articles, int) and not isinstance(articles, bool) and articles >= 0
        if articles is not None and not counted:
            raise ValueError(f"{path}: the articles of {name!r} must be a count (an integer >= 0)")
        expectations[name] = Expectation(title, articles, entry.get("doc_number"), entry.get("effective"))
    return expectations


_EXPECTED_FIELDS = ("title", "articles", "doc_number", "effective")


MARKDOWN_COLUMNS = ("file", "kind", "title", "title ok", "pages", "chunks", "chars", "kept", "articles",
                    "leaked", "page no.", "compat", "bare", "OCR", "文号", "发文机关", "发布日期", "施行日期",
                    "reference / note")

_LEGEND = """\
- **kept**: share of the reference text's characters (multiset, whitespace aside) found in the indexed
  text; for HTML (marked ⇄) the share of the indexed text found in the page body, with chars/reference
  chars beside it.
- **articles**: article labels (第X条) of the reference that label at least one chunk / labels in the reference;
  `✗N` chunks carry a label the reference lacks or name another article than their text starts with;
  `regs a/b`: regulation titles in the chunks' paths / regulations of the compilation; `(parsed)`: no
  reference, counted in our own text; `exp N`: the expected count, ✓ when that many label chunks.
- **leaked**: chunks holding a running header/footer line of the reference pages / such lines found.
- **page no.**: page-number lines inside chunk text. **compat**: radical/compatibility code points left.
- **bare**: chunks that are only a heading line. **title ok**: against the expectations file.
- **文号, 发文机关, 发布日期, 施行日期**: what was read from the file (施行日期 with the end of a stated
  有效期); ✓/✗ against the expectations file, where "" means the file states none (so a value found
  there is ✗: invented).
"""


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _mark(ok: bool | None) -> str:
    return {True: "✓", False: "✗", None: ""}[ok]


def row_cells(row: FileFidelity) -> dict[str, str]:
    """The shown value of each column of a row ("–" where nothing was measured)."""
    dash = "–"
    if row.kept is None:
        kept = dash
    elif row.kept_reversed:
        kept = f"⇄ {row.kept:.1%} ({row.chars}/{row.reference_chars})"
    else:
        kept = f"{row.kept:.1%}"
    if row.articles is None:
        articles = dash if row.expected_articles is None else f"– exp {row.expected_articles} ✗"
    else:
        articles = f"{row.articles_labelled}/{row.articles}"
        if row.articles_wrong:
            articles += f" ✗{row.articles_wrong}"
        if row.regulations is not None:
            articles += f" regs {row.chunk_regulations}/{row.regulations}"
        if row.articles_from == "parsed":
            articles += " (parsed)"
        if row.expected_articles is not None:
            articles += f" exp {row.expected_articles} {_mark(row.articles_ok)}"
    title_ok = _mark(row.title_ok)
    if row.title_ok is False:
        title_ok += f" {row.expected_title}"
    if row.error:
        note = f"ERROR: {row.error}"
        if row.reference:
            note += f" ({row.reference}: {row.reference_chars} characters)"
    else:
        note = "; ".join(filter(None, (row.reference, row.reference_note)))
    return {
        "file": row.file,
        "kind": row.kind,
        "title": row.title,
        "title ok": title_ok,
        "pages": dash if row.pages is None else str(row.pages),
        "chunks": dash if row.error else str(row.chunks),
        "chars": dash if row.error else str(row.chars),
        "kept": kept,
        "articles": articles,
        "leaked": dash if row.leaked is None else f"{row.leaked}/{row.furniture}",
        "page no.": dash if row.page_number_lines is None else str(row.page_number_lines),
        "compat": dash if row.error else str(row.compat),
        "bare": dash if row.error else str(row.bare_headings),
        "OCR": f"{row.ocr_confidence:.0f}" if row.ocr_confidence is not None else ("yes" if row.ocr else ""),
        "文号": _checked(row.doc_number, row.doc_number_ok, row.expected_doc_number),
        "发文机关": row.issuer,
        "发布日期": row.issued,
        "施行日期": _checked(row.effective + (f"（至{row.expires}）" if row.expires else ""), row.effective_ok,
                         row.expected_effective),
        "reference / note": note,
    }


def _checked(value: str, ok: bool | None, expected: str | None) -> str:
    """A found value with its mark; a wrong one shows what the file states ("none" when nothing)."""
    if ok is None:
        return value
    if ok:
        return f"{value} ✓".strip()
    return f"{value or '–'} ✗ (file: {expected or 'none'})"


def summary(rows: Sequence[FileFidelity]) -> str:
    """One line of totals over the rows."""
    good = [row for row in rows if not row.error]
    titles = [row.title_ok for row in rows if row.title_ok is not None]
    articles = [row.articles_ok for row in rows if row.articles_ok is not None]
    kept = [row.kept for row in good if row.kept is not None and not row.kept_reversed]
    parts = [
        f"{len(rows)} files, {len(rows) - len(good)} failed",
        f"{sum(row.chunks for row in good)} chunks",
        f"mean kept {sum(kept) / len(kept):.1%} over {len(kept)} non-HTML files" if kept else "",
        f"titles ok {sum(titles)}/{len(titles)}" if titles else "",
        f"all articles labelled {sum(articles)}/{len(articles)}" if articles else "",
        _fields_summary(rows, "doc_number", "文号"),
        _fields_summary(rows, "effective", "施行日期"),
        f"{sum(row.leaked or 0 for row in good)} chunks with headers/footers",
        f"{sum(row.page_number_lines or 0 for row in good)} page-number lines",
        f"{sum(row.compat for row in good)} compat points",
        f"{sum(row.bare_headings for row in good)} bare headings",
    ]
    return "; ".join(filter(None, parts)) + "."


def _fields_summary(rows: Sequence[FileFidelity], field: str, name: str) -> str:
    """「文号 ok 9/9 (5 stated found, 0 invented)」 over the rows with an expectation for `field`."""
    checked = [row for row in rows if getattr(row, f"{field}_ok") is not None]
    if not checked:
        return ""
    stated = [row for row in checked if getattr(row, f"expected_{field}")]
    found = sum(1 for row in stated if getattr(row, f"{field}_ok"))
    invented = sum(1 for row in checked if not getattr(row, f"expected_{field}") and getattr(row, field))
    ok = sum(1 for row in checked if getattr(row, f"{field}_ok"))
    return f"{name} ok {ok}/{len(checked)} ({found}/{len(stated)} stated found, {invented} invented)"


def to_markdown(rows: Sequence[FileFidelity], command: str = "") -> str:
    """The report as Markdown: the command (when given), the table, totals and a legend."""
    lines = ["# Ingest fidelity", ""]
    if command:
        lines += ["```", command, "```", ""]
    lines.append("| " + " | ".join(MARKDOWN_COLUMNS) + " |")
    lines.append("|" + "---|" * len(MARKDOWN_COLUMNS))
    for row in rows:
        cells = row_cells(row)
        lines.append("| " + " | ".join(_cell(cells[column]) for column in MARKDOWN_COLUMNS) + " |")
    lines += ["", summary(rows), "", _LEGEND]
    leaked = [row for row in rows if row.leaked_lines]
    if leaked:
        lines.append("Header/footer lines found in chunks (as in the reference):")
        lines.append("")
        for row in leaked:
            lines.append(f"- {_cell(row.file)}: " + " · ".join(f"`{line}`" for line in row.leaked_lines))
        lines.append("")
    return "\n".join(lines)
