"""SQLite: the source of truth for documents, chunks and cached embeddings.

The FAISS and BM25 indexes are derived from this file and can always be rebuilt from it.
One transaction per document, WAL mode so readers are never blocked by an ingest.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.embed import text_hash
from index.types import (
    Allowed,
    CatalogueRecord,
    ChunkFields,
    Citation,
    DocumentRecord,
    Filters,
    GlossaryRecord,
    StoredDocument,
)
from ingest.chunking import article_number
from ingest.official import read_official
from ingest.types import SECTION_SEPARATOR, CatalogueItem, Chunk, Document, GlossaryEntry, OfficialMeta, Page

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4  # 2: documents.ocr; 3: printed page labels, chunk page ranges and context headers, OCR
# confidence; 4: official-document fields (文号, issuer, dates, validity) and canonical article numbers

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    pages TEXT NOT NULL /* JSON [[number, start, end, printed label], ...] */,
    file_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    ingested_at TEXT NOT NULL,
    ocr INTEGER NOT NULL DEFAULT 0 /* 1: text recognised from page images */,
    ocr_confidence REAL /* tesseract's mean word confidence (0-100) for OCR'd text */,
    doc_number TEXT NOT NULL DEFAULT '' /* 文号, normalised (穗府办规〔2024〕13号) */,
    issuer TEXT NOT NULL DEFAULT '' /* 发文机关, several joined with 、 */,
    issued TEXT NOT NULL DEFAULT '' /* 发布/成文日期, ISO */,
    effective TEXT NOT NULL DEFAULT '' /* 施行日期, ISO */,
    expires TEXT NOT NULL DEFAULT '' /* last day of a stated validity period, ISO */,
    repealed TEXT NOT NULL DEFAULT '' /* 废止日期, ISO */,
    status TEXT NOT NULL DEFAULT '' /* a validity the source states: 有效, 失效, 废止 */
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    section TEXT NOT NULL /* section path joined with ' > ', for prefix filters */,
    section_path TEXT NOT NULL /* JSON list, the exact path */,
    page INTEGER,
    meta TEXT NOT NULL DEFAULT '{}',
    page_end INTEGER /* the page the chunk ends on */,
    page_label TEXT NOT NULL DEFAULT '' /* the printed page (range) a reader looks up: "79" or "79–80" */,
    context TEXT NOT NULL DEFAULT '' /* header BM25 indexes with the text (title, chapter, article) */,
    article INTEGER /* canonical number of the article the chunk is in (第39条 = 39) */
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS catalogue_items (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    row INTEGER NOT NULL,
    unit TEXT NOT NULL,
    category TEXT NOT NULL,
    item TEXT NOT NULL,
    standard TEXT NOT NULL,
    problem TEXT NOT NULL,
    department TEXT NOT NULL,
    extra TEXT NOT NULL           -- JSON [[header, value], ...]
);
CREATE INDEX IF NOT EXISTS catalogue_doc ON catalogue_items(doc_id);
CREATE TABLE IF NOT EXISTS glossary (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    items TEXT NOT NULL,          -- JSON list; empty when the source names the term only
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    section_path TEXT NOT NULL,   -- JSON list: the section of the chunk holding the term
    page INTEGER
);
CREATE INDEX IF NOT EXISTS glossary_term ON glossary(term);
CREATE INDEX IF NOT EXISTS glossary_doc ON glossary(doc_id);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,      -- JSON list: the passages shown with the answer, best first
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    question TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,         -- float32, little-endian
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID;
"""

_OFFICIAL_FIELDS = ("doc_number", "issuer", "issued", "effective", "expires", "repealed", "status")


def _read_official_fields(db: sqlite3.Connection) -> None:
    """Schema 3 -> 4: read the official-document fields and article numbers of stored documents."""
    for doc_id, title, text in db.execute("SELECT id, title, text FROM documents WHERE kind NOT IN"
                                          " ('catalogue', 'register')").fetchall():
        official = read_official(text, title)
        db.execute(f"UPDATE documents SET {', '.join(f'{name}=?' for name in _OFFICIAL_FIELDS)} WHERE id=?",
                   (*(getattr(official, name) for name in _OFFICIAL_FIELDS), doc_id))
    for chunk_id, path in db.execute("SELECT id, section_path FROM chunks").fetchall():
        db.execute("UPDATE chunks SET article=? WHERE id=?", (article_number(json.loads(path)), chunk_id))


# What brings a base of schema N to N + 1: SQL statements, or functions run on the connection.
_MIGRATIONS: dict[int, tuple[str | Callable[[sqlite3.Connection], None], ...]] = {
    1: ("ALTER TABLE documents ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0",),  # before OCR: all from text layers
    2: (
        "ALTER TABLE documents ADD COLUMN ocr_confidence REAL",
        "ALTER TABLE chunks ADD COLUMN page_end INTEGER",
        "ALTER TABLE chunks ADD COLUMN page_label TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''",
        "UPDATE chunks SET page_end=page, page_label=COALESCE(page, '')",
    ),
    3: (
        *(f"ALTER TABLE documents ADD COLUMN {name} TEXT NOT NULL DEFAULT ''" for name in _OFFICIAL_FIELDS),
        "ALTER TABLE chunks ADD COLUMN article INTEGER",
        _read_official_fields,
    ),
}

_CHUNK_COLUMNS = (
    "c.id, c.doc_id, c.text, c.start, c.end, c.section_path, c.page, c.meta, d.title, d.source, d.kind, d.ocr,"
    " c.page_end, c.page_label, c.context, d.doc_number, c.article"
)


# Not known to be out of force on a day (?): the SQL form of OfficialMeta.status_on(day) not in
# (已废止, 已失效, 尚未施行); documents stating nothing about their validity pass.
_IN_FORCE = (
    "NOT ((d.repealed != '' AND d.repealed <= ?) OR d.status IN ('废止', '失效')"
    " OR (d.expires != '' AND d.expires < ?)"
    " OR COALESCE(NULLIF(d.effective, ''), NULLIF(d.issued, ''), '') > ?)"
)


def page_label(doc: Document, chunk: Chunk) -> str:
    """The printed page (or range) of a chunk, as a reader finds it: "76", "79–80"; "" if unpaged."""
    if chunk.page is None:
        return ""
    pages = {page.number: page for page in doc.pages}
    first = pages[chunk.page].shown if chunk.page in pages else str(chunk.page)
    end = chunk.page_end if chunk.page_end is not None else chunk.page
    last = pages[end].shown if end in pages else str(end)
    return first if first == last else f"{first}–{last}"


class Store:
    """Documents, chunks and the embedding cache in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.executescript(SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) in _MIGRATIONS:
                self._migrate(int(row[0]))
            elif int(row[0]) != SCHEMA_VERSION:
                raise ValueError(f"{path} has schema {row[0]}, this policykb reads schema {SCHEMA_VERSION}")
            self._db.execute("CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article)")
            self._seen_version = self._data_version()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection (another process, another worker) committed since the last call.

        SQLite's `PRAGMA data_version` changes on this connection exactly when some other
        connection commits a change to the file; this connection's own commits leave it alone.
        """
        with self._lock:
            version = self._data_version()
            changed, self._seen_version = version != self._seen_version, version
        return changed

    def _migrate(self, version: int) -> None:
        """Bring an older base up to SCHEMA_VERSION, all steps in one transaction."""
        log.info("upgrading %s from schema %d to %d", self.path, version, SCHEMA_VERSION)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    if callable(statement):
                        statement(self._db)
                    else:
                        self._db.execute(statement)
            self._db.execute("UPDATE meta SET value=? WHERE key='schema'", (str(SCHEMA_VERSION),))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- documents ---------------------------------------------------------------------

    def file_hash_of(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT file_hash FROM documents WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def source_of(self, doc_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT source FROM documents WHERE id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def replace_document(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        file_hash: str,
        size: int,
        glossary: Sequence[GlossaryEntry] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store `doc`, its chunks, catalogue rows and glossary entries in one transaction,
        replacing what was stored for its source.

        For a catalogue, chunk i is the chunk of doc.items[i]. Returns (new chunk ids,
        removed chunk ids) so the derived indexes can follow.
        """
        return self.replace_documents([StoredDocument(doc, tuple(chunks), file_hash, size, tuple(glossary))])

    def replace_documents(self, batch: Sequence[StoredDocument]) -> tuple[np.ndarray, np.ndarray]:
        """`replace_document` for many documents in one transaction (bulk loads of pre-cut passages).

        Returns (new chunk ids in batch order, removed chunk ids).
        """
        for item in batch:
            if item.doc.items and len(item.doc.items) != len(item.chunks):
                raise ValueError(
                    f"{item.doc.source}: {len(item.doc.items)} catalogue rows but {len(item.chunks)} chunks"
                )
        added: list[int] = []
        removed: list[int] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for item in batch:
                    new, old = self._write_document(item)
                    added.extend(new)
                    removed.extend(old)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return np.array(added, dtype=np.int64), np.array(removed, dtype=np.int64)

    def _write_document(self, item: StoredDocument) -> tuple[list[int], list[int]]:
        """Inside an open transaction: replace one document; returns (added, removed) chunk ids."""
        doc, chunks = item.doc, item.chunks
        pages = json.dumps([[p.number, p.start, p.end, p.label] for p in doc.pages], ensure_ascii=False)
        removed = [
            row[0]
            for row in self._db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE d.source=? OR d.id=?",
                (doc.source, doc.id),
            )
        ]
        self._db.execute("DELETE FROM documents WHERE source=? OR id=?", (doc.source, doc.id))
        official = doc.official
        self._db.execute(
            "INSERT INTO documents (id, source, title, kind, text, pages, file_hash, size, ingested_at, ocr,"
            f" ocr_confidence, {', '.join(_OFFICIAL_FIELDS)}) VALUES ({','.join('?' * (11 + len(_OFFICIAL_FIELDS)))})",
            (doc.id, doc.source, doc.title, doc.kind, doc.text, pages, item.file_hash, item.size, _now(), int(doc.ocr),
             doc.ocr_confidence, *(getattr(official, name) for name in _OFFICIAL_FIELDS)),
        )
        added = []
        for ord_, chunk in enumerate(chunks):
            cursor = self._db.execute(
                "INSERT INTO chunks (doc_id, ord, text, start, end, section, section_path, page, meta,"
                " page_end, page_label, context, article) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.id,
                    ord_,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    chunk.section,
                    json.dumps(list(chunk.section_path), ensure_ascii=False),
                    chunk.page,
                    json.dumps(chunk.meta, ensure_ascii=False),
                    chunk.page_end,
                    page_label(doc, chunk),
                    chunk.context,
                    article_number(chunk.section_path),
                ),
            )
            added.append(cursor.lastrowid)
        for chunk_id, row in zip(added, doc.items):
            self._db.execute(
                "INSERT INTO catalogue_items VALUES (?,?,?,?,?,?,?,?,?,?)",
                (chunk_id, doc.id, row.row, row.unit, row.category, row.item, row.standard,
                 row.problem, row.department, json.dumps(row.extra, ensure_ascii=False)),
            )
        for entry in item.glossary:
            holder = _chunk_holding(chunks, entry.start)
            self._db.execute(
                "INSERT INTO glossary (doc_id, term, items, start, end, section_path, page)"
                " VALUES (?,?,?,?,?,?,?)",
                (doc.id, entry.term, json.dumps(entry.items, ensure_ascii=False), entry.start, entry.end,
                 json.dumps(list(holder.section_path) if holder else [], ensure_ascii=False),
                 doc.page_at(entry.start)),
            )
        return added, removed

    def file_hashes(self) -> dict[str, str]:
        """source -> file hash of every stored document (lets bulk loads skip what is already in)."""
        with self._lock:
            return dict(self._db.execute("SELECT source, file_hash FROM documents").fetchall())

    def delete_document(self, doc_id: str) -> np.ndarray:
        """Delete a document and its chunks; returns the removed chunk ids."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
                self._db.execute("DELETE FROM documents WHERE id=?", (doc_id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return np.array(removed, dtype=np.int64)

    def resolve_document(self, ref: str) -> str:
        """A document id from an id, a unique id prefix, or a source path; ValueError otherwise.

        The prefix is compared literally (not with LIKE, where `%` and `_` are wildcards), so a
        reference like "%" matches nothing instead of every document.
        """
        if not ref or "\x00" in ref:
            raise ValueError("no document reference given")
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM documents WHERE substr(id, 1, length(?)) = ? OR source=? OR source=?",
                (ref, ref, ref, str(Path(ref).resolve())),
            ).fetchall()
        ids = sorted({r[0] for r in rows})
        if not ids:
            raise ValueError(f"no document matches {ref!r} (use an id from `policykb docs` or a source path)")
        if len(ids) > 1:
            raise ValueError(f"{ref!r} matches {len(ids)} documents; give more of the id")
        return ids[0]

    def documents(self) -> list[DocumentRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT d.id, d.title, d.source, d.kind, COUNT(c.id), LENGTH(d.text), d.file_hash, d.ingested_at, "
                + ", ".join(f"d.{name}" for name in _OFFICIAL_FIELDS)
                + " FROM documents d LEFT JOIN chunks c ON c.doc_id=d.id GROUP BY d.id ORDER BY d.source"
            ).fetchall()
        return [DocumentRecord(*row[:8], official=OfficialMeta(*row[8:])) for row in rows]

    def mentions(self, term: str) -> bool:
        """Whether any stored document's text holds `term` (a plain substring test)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM documents WHERE instr(text, ?) > 0 LIMIT 1", (term,)).fetchone() \
                is not None

    def documents_mentioning(self, terms: Sequence[str], among: Sequence[str] | None = None) -> list[str]:
        """Ids of the stored documents whose text holds any of `terms` (plain substring tests),
        only those of `among` when given."""
        if not terms:
            return []
        where = " OR ".join("instr(text, ?) > 0" for _ in terms)
        params: list[str] = list(terms)
        if among is not None:
            if not among:
                return []
            where = f"({where}) AND id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(list(among)))
        with self._lock:
            return [row[0] for row in self._db.execute(f"SELECT id FROM documents WHERE {where} ORDER BY source", params)]

    def document_names(self) -> list[tuple[str, str, str]]:
        """(id, title, 文号) of every document, without counting chunks (for questions naming one)."""
        with self._lock:
            return self._db.execute("SELECT id, title, doc_number FROM documents ORDER BY source").fetchall()

    def document(self, doc_id: str) -> Document:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, source, kind, text, pages, ocr, ocr_confidence, "
                + ", ".join(_OFFICIAL_FIELDS) + " FROM documents WHERE id=?",
                (doc_id,),
            ).fetchone()
        if row is None:
            raise ValueError(f"no document with id {doc_id!r}")
        pages = tuple(Page(*p) for p in json.loads(row[5]))
        return Document(id=row[0], title=row[1], source=row[2], kind=row[3], text=row[4], pages=pages,
                        ocr=bool(row[6]), ocr_confidence=row[7], official=OfficialMeta(*row[8:]))

    # -- chunks ------------------------------------------------------------------------

    def chunk_around(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """The chunk of a document that holds text[start:end], or the one that starts it."""
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM chunks WHERE doc_id=? AND start<=? AND end>=? ORDER BY end-start LIMIT 1",
                (doc_id, start, end),
            ).fetchone() or self._db.execute(
                "SELECT id FROM chunks WHERE doc_id=? AND start<=? AND end>? ORDER BY start DESC LIMIT 1",
                (doc_id, start, start),
            ).fetchone()
        return self.chunks([row[0]])[row[0]][0] if row else None

    def section_span(self, doc_id: str, section: str, around: int) -> tuple[int, int]:
        """The span of the run of consecutive chunks of a document that share `section` (the
        joined section path) and include the chunk starting at `around`, with the chunks of its
        subsections that follow (「一、参保范围」 and its 「（一）…（六）」, however the chunker
        grouped them): a whole article or section, however many chunks it was split into."""
        with self._lock:
            rows = self._db.execute(
                "SELECT start, end, section FROM chunks WHERE doc_id=? ORDER BY ord", (doc_id,)
            ).fetchall()
        index = next((i for i, (start, _, _) in enumerate(rows) if start == around), None)
        if index is None or rows[index][2] != section:
            raise ValueError(f"no chunk of {doc_id!r} starts at {around} in section {section!r}")
        first = last = index
        while first > 0 and rows[first - 1][2] == section:
            first -= 1
        while last + 1 < len(rows) and (rows[last + 1][2] == section or rows[last + 1][2].startswith(section + " > ")):
            last += 1
        return rows[first][0], max(end for _, end, _ in rows[first : last + 1])

    def subsections(self, doc_id: str, path: Sequence[str]) -> list[int]:
        """Ids of the first chunk of each direct subsection of the section `path` of a document
        (its child headings, in document order)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, section_path FROM chunks WHERE doc_id=? ORDER BY ord", (doc_id,)
            ).fetchall()
        depth, seen, first = len(path), set(), []
        for chunk_id, raw in rows:
            child = tuple(json.loads(raw))
            if len(child) > depth and child[:depth] == tuple(path) and child[depth] not in seen:
                seen.add(child[depth])
                first.append(chunk_id)
        return first

    def chunk_ids(self) -> np.ndarray:
        with self._lock:
            rows = self._db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def chunk_texts(self, ids: Sequence[int]) -> list[str]:
        """The passage text of each chunk: what the embedding model encodes."""
        found = self.chunks(ids)
        return [found[i][0].text for i in ids]

    def lexical_texts(self, ids: Sequence[int]) -> list[str]:
        """What BM25 indexes for each chunk: its context header and text (`Chunk.lexical_text`)."""
        found = self.chunks(ids)
        return [found[i][0].lexical_text for i in ids]

    def chunks(self, ids: Iterable[int]) -> dict[int, tuple[Chunk, Citation]]:
        """Chunks with their citations, by id (ids not in the store are left out)."""
        ids = [int(i) for i in ids]
        out: dict[int, tuple[Chunk, Citation]] = {}
        with self._lock:
            for begin in range(0, len(ids), 500):
                batch = ids[begin : begin + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id=c.doc_id"
                    f" WHERE c.id IN ({marks})",
                    batch,
                ).fetchall()
                for row in rows:
                    (chunk_id, doc_id, text, start, end, path_json, page, meta, title, source, kind, ocr,
                     page_end, label, context, doc_number, article) = row
                    path = tuple(json.loads(path_json))
                    chunk = Chunk(doc_id, text, start, end, path, page, chunk_id, json.loads(meta), page_end, context)
                    row_number = int(chunk.meta["row"]) if "row" in chunk.meta else None
                    citation = Citation(doc_id, title, source, kind, path, page, start, end, row_number, bool(ocr),
                                        page_end, label, doc_number, article)
                    out[chunk_id] = (chunk, citation)
        return out

    def article_chunks(self, number: int, allowed: np.ndarray | None = None) -> list[tuple[Chunk, Citation]]:
        """Every chunk of article `number` (第N条, whatever numeral it was written in), in document order."""
        with self._lock:
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM chunks WHERE article=? ORDER BY doc_id, start", (int(number),)).fetchall()]
        if allowed is not None:
            keep = set(allowed.tolist())
            ids = [i for i in ids if i in keep]
        found = self.chunks(ids)
        return [found[i] for i in ids if i in found]

    def chunk_fields(self, ids: Sequence[int]) -> list[ChunkFields]:
        """What an engine keeps beside each chunk for filters, in the order of `ids`."""
        found = self.chunks(ids)
        return [ChunkFields(found[i][0].doc_id, SECTION_SEPARATOR.join(found[i][0].section_path)) for i in ids]

    def chunk_titles(self, ids: Sequence[int]) -> list[str]:
        """The title of each chunk's document, in the order of `ids` ("" for unknown ids)."""
        titles: dict[int, str] = {}
        with self._lock:
            for begin in range(0, len(ids), 500):
                batch = [int(i) for i in ids[begin : begin + 500]]
                rows = self._db.execute(
                    f"SELECT c.id, d.title FROM chunks c JOIN documents d ON d.id=c.doc_id"
                    f" WHERE c.id IN ({','.join('?' * len(batch))})",
                    batch,
                ).fetchall()
                titles.update(rows)
        return [titles.get(int(i), "") for i in ids]

    MAX_ID_PREFIXES = 200

    def allowed(self, filters: Filters) -> Allowed:
        """What passes `filters`, as chunk ids and as documents plus a section prefix (`Allowed`)."""
        ids = self.allowed_ids(filters)
        section = SECTION_SEPARATOR.join(p.strip() for p in filters.section_prefix.split(">")) \
            if filters.section_prefix else ""
        doc_ids = None
        if not replace(filters, section_prefix="").is_empty():
            doc_ids = tuple(sorted(self._documents_of(ids.tolist())))
        return Allowed(ids, doc_ids, section)

    def _documents_of(self, chunk_ids: list[int]) -> set[str]:
        found: set[str] = set()
        with self._lock:
            for begin in range(0, len(chunk_ids), 5000):
                batch = json.dumps(chunk_ids[begin : begin + 5000])
                found |= {r[0] for r in self._db.execute(
                    "SELECT DISTINCT doc_id FROM chunks WHERE id IN (SELECT value FROM json_each(?))", (batch,))}
        return found

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        """Chunk ids that pass `filters`."""
        clauses, params = [], []
        if filters.doc_ids:
            # Whole ids as one JSON parameter (a question's place can name thousands of documents,
            # beyond SQLite's expression depth as ORs); the rest are prefixes, as typed.
            ids = list(dict.fromkeys(filters.doc_ids))
            with self._lock:
                whole = {r[0] for r in self._db.execute(
                    "SELECT id FROM documents WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}
            prefixes = [i for i in ids if i not in whole]
            if len(prefixes) > self.MAX_ID_PREFIXES:
                raise ValueError(f"at most {self.MAX_ID_PREFIXES} document ids that are not whole ids can filter a search, "
                                 f"got {len(prefixes)}")
            clauses.append("(" + " OR ".join(["c.doc_id IN (SELECT value FROM json_each(?))"]
                                             + ["c.doc_id LIKE ? || '%'" for _ in prefixes]) + ")")
            params += [json.dumps(sorted(whole)), *prefixes]
        if filters.kinds:
            clauses.append(f"d.kind IN ({','.join('?' * len(filters.kinds))})")
            params += list(filters.kinds)
        if filters.section_prefix:
            prefix = SECTION_SEPARATOR.join(p.strip() for p in filters.section_prefix.split(">"))
            clauses.append("substr(c.section, 1, ?) = ?")
            params += [len(prefix), prefix]
        if filters.issuers:
            clauses.append("(" + " OR ".join("instr(d.issuer, ?) > 0" for _ in filters.issuers) + ")")
            params += list(filters.issuers)
        if filters.issued_from:
            clauses.append("d.issued != '' AND d.issued >= ?")
            params.append(filters.issued_from)
        if filters.issued_to:
            clauses.append("d.issued != '' AND d.issued <= ?")
            params.append(filters.issued_to)
        if filters.in_force_on:
            clauses.append(_IN_FORCE)
            params += [filters.in_force_on] * 3
        where = " AND ".join(clauses) or "1"
        with self._lock:
            rows = self._db.execute(
                f"SELECT c.id FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE {where}", params
            ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    # -- catalogue and glossary -----------------------------------------------------------

    def catalogue(self, unit: str = "") -> list[CatalogueRecord]:
        """Catalogue rows in source order, optionally of one unit (一级单元)."""
        query = (
            "SELECT ci.chunk_id, ci.row, ci.unit, ci.category, ci.item, ci.standard, ci.problem, ci.department,"
            " ci.extra, c.start, c.end, c.section_path, d.id, d.title, d.source, d.kind"
            " FROM catalogue_items ci JOIN chunks c ON c.id=ci.chunk_id JOIN documents d ON d.id=ci.doc_id"
        )
        params: list = []
        if unit:
            query += " WHERE ci.unit=?"
            params.append(unit)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY d.source, ci.row", params).fetchall()
        records = []
        for (chunk_id, row, unit_, category, item, standard, problem, department, extra,
             start, end, path_json, doc_id, title, source, kind) in rows:
            entry = CatalogueItem(unit_, category, item, standard, problem, department, row, start, end,
                                  tuple(tuple(pair) for pair in json.loads(extra)))
            path = tuple(json.loads(path_json))
            citation = Citation(doc_id, title, source, kind, path, None, start, end, row)
            records.append(CatalogueRecord(entry, chunk_id, citation))
        return records

    def glossary(self, term: str = "") -> list[GlossaryRecord]:
        """Glossary entries (of one term when given), entries with items first, then by source."""
        query = (
            "SELECT g.term, g.items, g.start, g.end, g.section_path, g.page, d.id, d.title, d.source, d.kind, d.ocr"
            " FROM glossary g JOIN documents d ON d.id=g.doc_id"
        )
        params: list = []
        if term:
            query += " WHERE g.term=?"
            params.append(term)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY g.term, g.items='[]', d.source, g.start", params).fetchall()
        return [
            GlossaryRecord(term_, tuple(json.loads(items)),
                           Citation(doc_id, title, source, kind, tuple(json.loads(path)), page, start, end,
                                    ocr=bool(ocr)))
            for term_, items, start, end, path, page, doc_id, title, source, kind, ocr in rows
        ]

    def glossary_terms(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT term FROM glossary ORDER BY term")]

    def catalogue_names(self) -> list[str]:
        """Every unit, category and item name of the stored catalogues."""
        with self._lock:
            rows = self._db.execute(
                "SELECT unit FROM catalogue_items UNION SELECT category FROM catalogue_items"
                " UNION SELECT item FROM catalogue_items"
            ).fetchall()
        return sorted(r[0] for r in rows if r[0])

    # -- answers and feedback ----------------------------------------------------------------

    def record_answer(self, answer_id: str, question: str, kind: str, text: str, chunk_ids: Sequence[int]) -> None:
        """Keep what was answered, so feedback can later be tied to the passages shown."""
        with self._lock:
            self._db.execute(
                "INSERT INTO answers VALUES (?,?,?,?,?,?)",
                (answer_id, question, kind, text, json.dumps([int(i) for i in chunk_ids]), _now()),
            )

    def add_feedback(self, answer_id: str, question: str, helpful: bool, comment: str) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO feedback (answer_id, question, helpful, comment, created_at) VALUES (?,?,?,?,?)",
                (answer_id, question, int(helpful), comment, _now()),
            )
        return int(cursor.lastrowid)

    def feedback(self) -> list[dict]:
        """All feedback with the answer it refers to (None fields when the answer is unknown)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT f.id, f.answer_id, f.question, f.helpful, f.comment, f.created_at, a.kind, a.chunk_ids"
                " FROM feedback f LEFT JOIN answers a ON a.id=f.answer_id ORDER BY f.id"
            ).fetchall()
        return [
            {"id": r[0], "answer_id": r[1], "question": r[2], "helpful": bool(r[3]), "comment": r[4],
             "created_at": r[5], "answer_kind": r[6], "chunk_ids": json.loads(r[7]) if r[7] else None}
            for r in rows
        ]

    # -- embedding cache -----------------------------------------------------------------

    def cached_vectors(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for begin in range(0, len(unique), 500):
                batch = unique[begin : begin + 500]
                rows = self._db.execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN"
                    f" ({','.join('?' * len(batch))})",
                    [model, *batch],
                ).fetchall()
                out.update((h, np.frombuffer(blob, dtype="<f4")) for h, blob in rows)
        return out

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        rows = [(model, h, np.asarray(v, dtype="<f4").tobytes()) for h, v in vectors.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- consistency (policykb check) ---------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity and foreign-key checks; empty when the file is sound."""
        with self._lock:
            try:
                rows = self._db.execute("PRAGMA integrity_check").fetchall()
            except sqlite3.DatabaseError as error:  # too damaged for the check itself to run
                return [f"SQLite's integrity check cannot run: {error}"]
            problems = [r[0] for r in rows if r[0] != "ok"]
            problems += [f"{r[0]} row {r[1]} points to a missing {r[2]} row"
                         for r in self._db.execute("PRAGMA foreign_key_check").fetchall()]
        return problems

    def documents_without_chunks(self) -> list[str]:
        """Sources of documents that have no chunk (an ingest never stores one; a damaged base might)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id=d.id)"
            ).fetchall()
        return [r[0] for r in rows]

    def chunk_hashes(self) -> dict[int, str]:
        """chunk id -> hash of its text, the key of the embedding cache."""
        with self._lock:
            rows = self._db.execute("SELECT id, text FROM chunks").fetchall()
        return {r[0]: text_hash(r[1]) for r in rows}

    def cached_hashes(self, model: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT text_hash FROM embeddings WHERE model=?", (model,)).fetchall()
        return {r[0] for r in rows}

    # -- statistics ----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._lock:
            docs = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(text)), 0) FROM documents").fetchone()
            chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            cached = self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
            terms = self._db.execute("SELECT COUNT(DISTINCT term) FROM glossary").fetchone()[0]
            items = self._db.execute("SELECT COUNT(*) FROM catalogue_items").fetchone()[0]
        return {
            "documents": docs[0], "characters": docs[1], "chunks": chunks, "cached_embeddings": cached,
            "glossary_terms": terms, "catalogue_items": items,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _chunk_holding(chunks: Sequence[Chunk], offset: int) -> Chunk | None:
    """The first chunk whose span contains `offset` (chunks may overlap)."""
    return next((c for c in chunks if c.start <= offset < c.end), None)
