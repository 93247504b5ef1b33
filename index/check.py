"""`policykb check`: is the base on disk consistent, and can what is wrong be repaired?

SQLite is the source of truth; the FAISS file, the BM25 folder and the embedding cache
are derived from it. A crash (power loss, SIGKILL, a full disk) may leave:
- derived indexes that lag the store (chunks missing from FAISS/BM25, or removed chunks
  still in them): repaired from the store and the embedding cache;
- a half-finished atomic write (a `*.tmp` FAISS file, a `lexical.new`/`lexical.old`
  folder): the complete copy is kept, the partial one deleted;
- chunks whose vector is not cached for the base's model (e.g. the process died between
  storing the document and caching its vectors): re-encoded on repair;
- damage inside the SQLite file itself, which SQLite's own integrity check reports; that is
  not repairable here (restore the file or re-ingest into a new base).

The check reads the base as found on disk (`KnowledgeBase(repair=False)`); the repair opens
it normally, which is when policykb brings the derived indexes in line with the store.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.settings import Settings
from index.kb import KnowledgeBase
from index.lexical import recover_folder
from index.store import Store
from index.types import Embedder

log = logging.getLogger(__name__)

STORE_FILE = "kb.sqlite"


@dataclass(frozen=True)
class Finding:
    part: str  # sqlite | dense | bm25 | embeddings | files
    message: str
    repairable: bool


@dataclass(frozen=True)
class CheckReport:
    kb_dir: str
    documents: int
    chunks: int
    dense_vectors: int
    dense_index: str
    bm25_passages: int
    findings: tuple[Finding, ...]

    @property
    def consistent(self) -> bool:
        return not self.findings

    def part_ok(self, part: str) -> bool:
        return not any(f.part == part for f in self.findings)


def _require_base(kb_dir: Path) -> None:
    if not (kb_dir / STORE_FILE).is_file():
        raise ValueError(f"no knowledge base in {kb_dir} ({STORE_FILE} not found)")


def _leftovers(kb_dir: Path) -> list[Path]:
    """Partial files of an interrupted atomic write."""
    found = sorted(kb_dir.glob("*.faiss.tmp"))
    found += [p for p in (kb_dir / "lexical.new", kb_dir / "lexical.old") if p.exists()]
    return found


def _id_findings(part: str, present: np.ndarray, truth: np.ndarray) -> list[Finding]:
    missing = np.setdiff1d(truth, present)
    stale = np.setdiff1d(present, truth)
    out = []
    if len(missing):
        out.append(Finding(part, f"{len(missing)} stored chunks are missing from the index", True))
    if len(stale):
        out.append(Finding(part, f"{len(stale)} indexed chunks are no longer in the store", True))
    return out


def check_base(settings: Settings, embedder: Embedder | None = None) -> CheckReport:
    """Inspect the base in `settings.kb_dir` without changing anything."""
    _require_base(settings.kb_dir)
    findings = [
        Finding("files", f"{p.name} is left from an interrupted write", True) for p in _leftovers(settings.kb_dir)
    ]
    try:
        return _check_open_base(settings, embedder, findings)
    except sqlite3.DatabaseError as error:  # damage that stops SQLite from reading the file at all
        findings.append(Finding("sqlite", f"{STORE_FILE} cannot be read ({error}); restore it from a backup "
                                          "or ingest the documents into a new base", False))
        return CheckReport(str(settings.kb_dir), 0, 0, 0, "unknown", 0, tuple(findings))


def _check_open_base(settings: Settings, embedder: Embedder | None, findings: list[Finding]) -> CheckReport:
    kb = KnowledgeBase(settings, embedder=embedder, repair=False)
    try:
        store = kb.store
        findings += [Finding("sqlite", problem, False) for problem in store.integrity_problems()]
        findings += [
            Finding("sqlite", f"document {source} has no chunks", True) for source in store.documents_without_chunks()
        ]
        truth = store.chunk_ids()
        if len(truth):  # an empty base has no index files yet, and needs none
            for problem in kb.load_problems:
                part, _, message = problem.partition(": ")
                findings.append(Finding(part, message, True))
        findings += _id_findings("dense", kb.dense.ids(), truth)
        findings += _id_findings("bm25", kb.lexical.ids(), truth)
        hashes = store.chunk_hashes()
        cached = store.cached_hashes(kb.embedder.model_id)
        uncached = sum(1 for h in hashes.values() if h not in cached)
        if uncached:
            findings.append(Finding("embeddings", f"{uncached} chunks have no cached vector for the model "
                                                  f"{kb.embedder.model_id} (re-encoded on repair)", True))
        counts = store.counts()
        return CheckReport(
            str(settings.kb_dir), counts["documents"], counts["chunks"], len(kb.dense), kb.dense.describe(),
            len(kb.lexical), tuple(findings),
        )
    finally:
        kb.close()


def _store_damaged(kb_dir: Path) -> bool:
    """SQLite's own integrity check, without opening the indexes."""
    try:
        store = Store(kb_dir / STORE_FILE)
        try:
            return bool(store.integrity_problems())
        finally:
            store.close()
    except sqlite3.DatabaseError:
        return True


def repair_base(settings: Settings, embedder: Embedder | None = None) -> CheckReport:
    """Fix what `check_base` can fix, then check again (the returned report is the state after)."""
    _require_base(settings.kb_dir)
    kb_dir = settings.kb_dir
    recover_folder(kb_dir / "lexical")
    for leftover in _leftovers(kb_dir):
        log.info("removing %s", leftover)
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    if _store_damaged(kb_dir):  # the source of truth itself: rebuilding indexes from it would spread that
        return check_base(settings, embedder)
    kb = KnowledgeBase(settings, embedder=embedder, repair=False)
    try:
        for source in kb.store.documents_without_chunks():  # the next ingest of the file adds it again
            kb.store.delete_document(kb.store.resolve_document(source))
        # Vectors missing from the cache are encoded by the model when the dense index needs them;
        # encoding them here also covers chunks the dense index already holds.
        hashes = kb.store.chunk_hashes()
        cached = kb.store.cached_hashes(kb.embedder.model_id)
        missing = [chunk_id for chunk_id, h in hashes.items() if h not in cached]
        if missing:
            kb.embedder.encode_documents(kb.store.chunk_texts(missing))
        kb.sync()  # adds what the indexes miss, drops what the store lost, and saves
    finally:
        kb.close()
    return check_base(settings, embedder)
