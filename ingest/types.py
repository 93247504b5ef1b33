"""The data that flows out of ingestion: a parsed Document and the Chunks cut from it."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTION_SEPARATOR = " > "


class ParseError(Exception):
    """A file could not be turned into a Document; the message is shown to the user per file."""


@dataclass(frozen=True)
class Page:
    """One page of a paged source: text[start:end] of the Document came from page `number` (1-based).

    `label` is the page number printed on the page (its footer or header, e.g. "76" or "—13—"
    gives "13") when the parser found one; citations show it, since that is what a reader looks
    up, and keep `number` (the PDF's page index) beside it.
    """

    number: int
    start: int
    end: int
    label: str = ""

    @property
    def shown(self) -> str:
        """The page number a reader finds on the page: the printed label, else the index."""
        return self.label or str(self.number)


@dataclass(frozen=True)
class Heading:
    """A heading the parser knows from the file's own markup (DOCX style, HTML/Markdown level).

    text[start:end] of the Document is the heading line; level 1 is the top.
    """

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class CatalogueItem:
    """One row of a standard catalogue: unit (一级单元) > category (二级大类) > item (三级项目).

    Fields the source leaves empty stay empty strings. `row` is the 1-based row number in the
    source (the header is row 1 in CSV/XLSX; the position in the list for JSON/YAML); `extra`
    keeps columns that map to none of the named fields. text[start:end] of the catalogue's
    Document is the item's rendered block.
    """

    unit: str
    category: str
    item: str
    standard: str = ""
    problem: str = ""
    department: str = ""
    row: int = 0
    start: int = 0
    end: int = 0
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        """The non-empty levels, e.g. ("清廉村居", "村务清爽", "三公开")."""
        return tuple(level for level in (self.unit, self.category, self.item) if level)


@dataclass(frozen=True)
class RegisterRow:
    """One row of a register: a table whose columns are not a catalogue's (a list of policy
    documents, a knowledge table, a schedule), kept under the table's own headers.

    `row` is the 1-based row number in the source (the header is row 1); `cells` are the
    non-empty (header, value) pairs in column order. text[start:end] of the register's
    Document is the row's rendered block.
    """

    row: int
    cells: tuple[tuple[str, str], ...]
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class OfficialMeta:
    """What an official document states about itself: the facts users filter and cite by.

    Every field is empty unless the document states it (nothing is guessed). `doc_number` is
    the 文号 in one normalised form (brackets 〔〕, ASCII digits, no spaces): 穗府办规〔2024〕13号,
    国务院令第535号. `issuer` is the 发文机关 (several joined with "、"). Dates are ISO
    (YYYY-MM-DD): `issued` 发布/印发/成文日期, `effective` 施行日期, `expires` the end of a stated
    validity period (有效期至), `repealed` the date it was repealed. `status` is a validity the
    source states outright (有效, 失效, 废止); the status on a given day is `status_on`.
    """

    doc_number: str = ""
    issuer: str = ""
    issued: str = ""
    effective: str = ""
    expires: str = ""
    repealed: str = ""
    status: str = ""

    def is_empty(self) -> bool:
        return not any((self.doc_number, self.issuer, self.issued, self.effective, self.expires,
                        self.repealed, self.status))

    def status_on(self, day: str) -> str:
        """The validity on `day` (ISO): 已废止, 已失效, 尚未施行, 有效, or "" when nothing is stated.

        A stated repeal or expiry wins; then the effective date; a stated 有效 or a known date
        before `day` with no end means in force.
        """
        if self.repealed and self.repealed <= day or self.status == "废止":
            return "已废止"
        if self.expires and self.expires < day or self.status == "失效":
            return "已失效"
        start = self.effective or self.issued
        if start and start > day:
            return "尚未施行"
        if start or self.status == "有效":
            return "有效"
        return ""


@dataclass(frozen=True)
class Document:
    """A parsed source file.

    `id` is a hash of `text`, so the same content always gets the same id. `kind` is the
    parser's name (pdf, docx, html, text, catalogue). `pages` is empty for unpaged sources.
    `items` holds the rows of a catalogue; `warnings` are problems that did not stop the
    file (e.g. catalogue rows skipped for missing fields), shown in the ingest report.
    """

    id: str
    title: str
    source: str
    kind: str
    text: str
    pages: tuple[Page, ...] = ()
    headings: tuple[Heading, ...] = ()
    items: tuple[CatalogueItem, ...] = ()
    records: tuple[RegisterRow, ...] = ()  # the rows of a register (kind "register")
    warnings: tuple[str, ...] = ()
    ocr: bool = False  # the text was recognised from page images (a scanned PDF), not read from the file
    # tesseract's mean word confidence (0-100) over the recognised words of an OCR'd document
    ocr_confidence: float | None = None
    official: OfficialMeta = field(default_factory=OfficialMeta)  # 文号, issuer, dates, validity

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character `offset`, or None for unpaged documents."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class Chunk:
    """A searchable passage: document.text[start:end] == text.

    `id` is 0 until the store assigns one. `section_path` lists the headings above the
    passage, outermost first, e.g. ("第二章 组织机构", "第八条"). `page` is the page the
    passage starts on and `page_end` the one it ends on (None for unpaged documents).
    `context` is a short header (document title, chapter, article number and, for a piece of
    a split article, its lead-in) that BM25 indexes with the text but that is not part of it:
    `lexical_text` is what BM25 sees; the embedding model and quotations use `text` alone
    (headers in front of every passage lowered dense nDCG@10 on STARD, docs/benchmarks.md).
    """

    doc_id: str
    text: str
    start: int
    end: int
    section_path: tuple[str, ...] = ()
    page: int | None = None
    id: int = 0
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    page_end: int | None = None
    context: str = ""

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    @property
    def lexical_text(self) -> str:
        """The text BM25 indexes: the context header, then the passage."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class GlossaryEntry:
    """A numbered slogan and its expansion found in a text: 五清 -> (班子清廉, 村务清爽, ...).

    text[start:end] of the source document is the span holding the term and its items.
    """

    term: str
    items: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class StoredDocument:
    """A document ready for the store (`ingest.pipeline`): its chunks, the hash and size of its source, its glossary."""

    doc: Document
    chunks: tuple[Chunk, ...]
    file_hash: str
    size: int
    glossary: tuple[GlossaryEntry, ...] = ()
