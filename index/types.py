"""What retrieval returns, and the small protocols its backends implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Protocol

import numpy as np

from ingest.types import (  # noqa: F401 -- StoredDocument is re-exported: the store takes it
    SECTION_SEPARATOR,
    CatalogueItem,
    Chunk,
    Document,
    GlossaryEntry,
    OfficialMeta,
    StoredDocument,
)


class SearchMode(str, Enum):
    hybrid = "hybrid"
    bm25 = "bm25"
    dense = "dense"


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from: enough to find it again in the source file."""

    doc_id: str
    title: str
    source: str
    kind: str
    section_path: tuple[str, ...]
    page: int | None
    start: int
    end: int
    row: int | None = None  # the source row of a catalogue item
    ocr: bool = False  # the text was recognised from a scan: it may differ from the original
    page_end: int | None = None  # the page (PDF index) the passage ends on
    page_label: str = ""  # the printed page or range a reader looks up ("76", "79–80")
    doc_number: str = ""  # the document's 文号, shown next to its title
    article: int | None = None  # the canonical number of the article the passage belongs to (第39条 = 39)

    @property
    def pages_shown(self) -> str:
        """The page (range) to show: the printed label, else the PDF page index (range)."""
        if self.page_label:
            return self.page_label
        if self.page is None:
            return ""
        if self.page_end is not None and self.page_end != self.page:
            return f"{self.page}–{self.page_end}"
        return str(self.page)

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    def label(self) -> str:
        """`title（文号） · section · 第N页` (or `第N行` for a catalogue row; `· OCR识别` for scanned text), as shown
        next to answers."""
        parts = [f"{self.title}（{self.doc_number}）" if self.doc_number else self.title]
        if self.section_path:
            parts.append(self.section)
        if self.pages_shown:
            parts.append(f"第{self.pages_shown}页")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.ocr:
            parts.append("OCR识别")
        return " · ".join(parts)


@dataclass(frozen=True)
class Hit:
    """One ranked search result. `rank` starts at 1; `score` is on the scale of `mode`."""

    chunk: Chunk
    citation: Citation
    score: float
    rank: int
    mode: SearchMode


@dataclass(frozen=True)
class SearchPage:
    """A page of search results with how close each is to the query (`KnowledgeBase.closeness`).

    `close` is False when no hit reaches `min_closeness`: the base holds nothing close to the
    query, and the hits are only the least distant text.
    """

    hits: tuple[Hit, ...]
    closeness: tuple[float, ...]
    min_closeness: float
    diversified: bool

    @property
    def close(self) -> bool:
        return any(value >= self.min_closeness for value in self.closeness)

    def is_close(self, position: int) -> bool:
        return self.closeness[position] >= self.min_closeness


@dataclass(frozen=True)
class Filters:
    """Restrict a search. Empty fields do not filter.

    doc_ids: documents (full id or unique prefix); kinds: parser kinds (pdf, docx, ...);
    section_prefix: the chunk's section path must start with this (compared as text,
    e.g. "第二章" or "第二章 组织机构 > 第八条"). The official-document fields read from each
    document (`ingest.official`): issuers: the 发文机关 must contain one of these names;
    issued_from / issued_to: the 发布日期 lies in this range (ISO dates, both ends included;
    documents stating no date are left out); in_force_on: an ISO day; documents known not to
    be in force on it (废止, expired, not yet effective) are left out, documents that state
    nothing about their validity are kept.
    """

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    section_prefix: str = ""
    issuers: tuple[str, ...] = ()
    issued_from: str = ""
    issued_to: str = ""
    in_force_on: str = ""

    def __post_init__(self) -> None:
        for name in ("issued_from", "issued_to", "in_force_on"):
            value = getattr(self, name)
            if value and not _is_iso_date(value):
                raise ValueError(f"{name} must be a date written YYYY-MM-DD, got {value!r}")
        if self.issued_from and self.issued_to and self.issued_from > self.issued_to:
            raise ValueError(f"issued_from {self.issued_from} is after issued_to {self.issued_to}")

    def is_empty(self) -> bool:
        return not (self.doc_ids or self.kinds or self.section_prefix or self.issuers or self.issued_from
                    or self.issued_to or self.in_force_on)


def _is_iso_date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class SearchParams:
    """What shapes one search, as a value: fusion, expansion and rerank (the index is not touched).

    `KnowledgeBase.search` takes one per call, so an evaluation runs a configuration without
    changing the settings other requests read; `config.Settings.search_params()` gives the
    configured one.
    """

    fusion: str = "convex"  # rrf | convex
    rrf_k: int = 60
    weight_bm25: float = 1.0
    weight_dense: float = 1.0
    fusion_depth: int = 100
    convex_normalisation: str = "min-max"  # min-max | theoretical
    convex_dense_minimum: float = -1.0
    expand_terms: int = 0
    expand_docs: int = 3
    rerank: str = "document"  # none | document
    rerank_depth: int = 200
    rerank_weight: float = 0.2


@dataclass(frozen=True)
class IndexParams:
    """What shapes a base's indexes, as a value: the backend, how documents were cut, BM25's
    parameters and the dense layout. Saved beside the indexes as `index.json` and compared
    with the configured one when the base opens (`KnowledgeBase`), so a base is never searched
    as if it had been built otherwise; `config.Settings.index_params()` gives the configured one.
    """

    backend: str = "local"  # local (FAISS + BM25 files) | milvus
    chunk_max_chars: int = 300
    chunk_min_chars: int = 60
    chunk_overlap_chars: int = 60
    chunk_context: bool = True
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    dense_index: str = "auto"  # local: auto | flat | ivf
    ivf_threshold: int = 50_000
    ivf_nprobe: int = 64
    milvus_index: str = "FLAT"  # FLAT | IVF_FLAT (Milvus Lite); HNSW too on a Milvus server

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> IndexParams:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass(frozen=True)
class ScoredIds:
    """A retriever's raw answer: chunk ids with scores, best first."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    scores: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))


ProgressCallback = Callable[[int], None]
"""Called with the number of texts just encoded."""


class Embedder(Protocol):
    """Turns text into unit-length vectors."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(
        self, texts: Sequence[str], on_progress: ProgressCallback | None = None
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class Allowed:
    """What a filtered search may return, in the two forms backends use.

    `ids`: the chunk ids that pass the filters (what the in-process indexes test). `doc_ids` and
    `section_prefix`: the same restriction as fields an engine keeps with each chunk, for its own
    filter expressions: the documents (None = any document; the document-level filters, ids,
    kinds, issuer, dates and validity, are resolved against the store, the source of truth) and
    the start of the chunk's section path (`Store.section_text`).
    """

    ids: np.ndarray
    doc_ids: tuple[str, ...] | None = None
    section_prefix: str = ""


@dataclass(frozen=True)
class ChunkFields:
    """What an engine stores beside a chunk so that `Allowed` can be evaluated inside it."""

    doc_id: str
    section: str  # the section path joined as `Store.section_text` writes it


class DenseIndex(Protocol):
    """Nearest-neighbour search over unit-length chunk vectors (inner product), keyed by chunk id.

    The knowledge base encodes (through its embedding cache) and hands vectors over; an index
    never sees the model. `add` takes ids not yet present.
    """

    def add(self, ids: np.ndarray, vectors: np.ndarray, fields: Sequence[ChunkFields]) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, vector: np.ndarray, k: int, allowed: Allowed | None = None) -> ScoredIds: ...

    def ids(self) -> np.ndarray: ...

    def __len__(self) -> int: ...

    def describe(self) -> str:
        """What the index is, for `policykb stats` (flat, ivf512, milvus FLAT …)."""

    def save(self) -> None:
        """Make every change durable (and reorganise when the layout asks for it)."""

    def drop(self) -> None:
        """Delete the index's saved state (a model switch replaced it)."""


class LexicalIndex(Protocol):
    """BM25 over the chunks' lexical texts, cut by the base's tokenizer, keyed by chunk id.

    `add` replaces a chunk already present. The query side of pseudo-relevance feedback is part
    of the protocol: `expansion_terms` names terms of some chunks, `search` takes them as
    `extra_terms`; `document_frequency` serves the closeness of hits and the check for names
    the base never mentions.
    """

    def add(self, ids: np.ndarray, texts: Sequence[str], fields: Sequence[ChunkFields]) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(
        self, query: str, k: int, allowed: Allowed | None = None, extra_terms: Sequence[str] = ()
    ) -> ScoredIds: ...

    def expansion_terms(self, chunk_ids: Sequence[int], query: str, count: int) -> list[str]: ...

    def document_frequency(self, term: str) -> int: ...

    def ids(self) -> np.ndarray: ...

    def __len__(self) -> int: ...

    def describe(self) -> str: ...

    def save(self) -> None: ...

    def drop(self) -> None: ...


class IndexBackend(Protocol):
    """Where a base keeps its derived indexes: opens them by model and tokenizer.

    `load_*` raise ValueError when nothing usable is saved (missing, built with other
    parameters); the knowledge base then starts an `empty_*` one and fills it from the store.
    """

    name: str
    # True when the indexes live in this process (files it loads and saves): a process reading
    # another's writes brings its own copy up to date; False for an engine every process shares.
    in_process: bool

    def load_dense(self, model_id: str) -> DenseIndex: ...

    def empty_dense(self, model_id: str) -> DenseIndex: ...

    def load_lexical(self, tokenizer: Tokenizer) -> LexicalIndex: ...

    def empty_lexical(self, tokenizer: Tokenizer) -> LexicalIndex: ...

    def close(self) -> None: ...


class Tokenizer(Protocol):
    """Cuts text into BM25 terms (index.lexical.ChineseTokenizer); `version` changes with its vocabulary."""

    @property
    def version(self) -> str: ...

    def tokenize(self, text: str) -> list[str]: ...


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document as listed by `policykb docs` (without its text)."""

    id: str
    title: str
    source: str
    kind: str
    chunks: int
    chars: int
    file_hash: str
    ingested_at: str
    official: OfficialMeta = field(default_factory=OfficialMeta)  # 文号, issuer, dates, validity


class FileStatus(str, Enum):
    added = "added"
    updated = "updated"
    unchanged = "unchanged"
    duplicate = "duplicate"
    failed = "failed"


@dataclass(frozen=True)
class FileResult:
    """What ingesting one file did; `message` explains failures and duplicates."""

    path: str
    status: FileStatus
    doc_id: str = ""
    title: str = ""
    chunks: int = 0
    message: str = ""


@dataclass(frozen=True)
class IngestReport:
    results: tuple[FileResult, ...]
    encoded: int
    seconds: float

    def count(self, status: FileStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results if r.status in (FileStatus.added, FileStatus.updated))


@dataclass(frozen=True)
class GlossaryRecord:
    """A stored glossary entry: a numbered term, its items (empty when the source does not
    spell them out), and where it was found."""

    term: str
    items: tuple[str, ...]
    citation: Citation


@dataclass(frozen=True)
class CatalogueRecord:
    """A stored catalogue row with the chunk that makes it searchable."""

    item: CatalogueItem
    chunk_id: int
    citation: Citation
