"""`policykb check`: each kind of damage is reported as found on disk, and --repair fixes what it can."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from config.settings import Settings
from index.check import check_base, repair_base
from index.kb import KnowledgeBase
from tests.conftest import SEED


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, embedder):
    """A real base of the seed article, built once and never damaged."""
    settings = Settings(kb_dir=tmp_path_factory.mktemp("pristine") / "kb")
    with KnowledgeBase(settings, embedder=embedder) as kb:
        kb.ingest([SEED])
    return settings.kb_dir


@pytest.fixture
def base(pristine, tmp_path):
    """A fresh copy of the pristine base for one test to damage; returns its settings."""
    shutil.copytree(pristine, tmp_path / "kb")
    return Settings(kb_dir=tmp_path / "kb")


def _parts(report) -> set[str]:
    return {finding.part for finding in report.findings}


def test_a_sound_base_is_consistent(base, embedder):
    report = check_base(base, embedder)
    assert report.consistent and report.documents == 1 and report.chunks == report.dense_vectors == report.bm25_passages


def test_a_lost_faiss_file_and_partial_writes_are_found_and_repaired(base, embedder):
    [faiss_file] = base.kb_dir.glob("dense-*.faiss")
    faiss_file.rename(faiss_file.with_suffix(".faiss.tmp"))  # as if killed before the rename
    shutil.copytree(base.kb_dir / "lexical", base.kb_dir / "lexical.new")
    report = check_base(base, embedder)
    assert not report.consistent and _parts(report) == {"dense", "files"}
    assert any("missing from the index" in f.message for f in report.findings)
    assert all(f.repairable for f in report.findings)
    repaired = repair_base(base, embedder)
    assert repaired.consistent and repaired.dense_vectors == repaired.chunks
    assert not list(base.kb_dir.glob("*.tmp")) and not (base.kb_dir / "lexical.new").exists()


def test_indexes_that_lag_the_store_are_found_and_repaired(base, embedder):
    with sqlite3.connect(base.kb_dir / "kb.sqlite") as db:  # a chunk the indexes still hold disappears
        db.execute("PRAGMA foreign_keys=ON")
        gone = db.execute("SELECT MIN(id) FROM chunks").fetchone()[0]
        db.execute("DELETE FROM chunks WHERE id=?", (gone,))
    report = check_base(base, embedder)
    assert _parts(report) == {"dense", "bm25"}
    assert all("no longer in the store" in f.message for f in report.findings)
    assert repair_base(base, embedder).consistent
    with KnowledgeBase(base, embedder=embedder, repair=False) as kb:
        assert gone not in kb.dense.ids() and gone not in kb.lexical.ids()


def test_missing_cached_vectors_are_re_encoded_on_repair(base, embedder):
    with sqlite3.connect(base.kb_dir / "kb.sqlite") as db:
        db.execute("DELETE FROM embeddings")
    report = check_base(base, embedder)
    assert _parts(report) == {"embeddings"} and "re-encoded on repair" in report.findings[0].message
    assert repair_base(base, embedder).consistent


def test_a_document_without_chunks_is_removed_so_the_next_ingest_adds_it_again(base, embedder):
    with sqlite3.connect(base.kb_dir / "kb.sqlite") as db:
        db.execute("DELETE FROM chunks")
    report = check_base(base, embedder)
    assert "sqlite" in _parts(report) and any("has no chunks" in f.message for f in report.findings)
    assert repair_base(base, embedder).consistent
    with KnowledgeBase(base, embedder=embedder) as kb:
        assert kb.stats()["documents"] == 0
        kb.ingest([SEED])
        assert kb.stats()["documents"] == 1 and np.array_equal(np.sort(kb.dense.ids()), kb.store.chunk_ids())


def _scribble(kb_dir, page_of) -> bytes:
    """Overwrite 64 bytes inside one page of kb.sqlite (chosen by `page_of(db)`); returns the damaged file."""
    with sqlite3.connect(kb_dir / "kb.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page = page_of(db)
    with open(kb_dir / "kb.sqlite", "r+b") as handle:
        handle.seek((page - 1) * page_size + (100 if page == 1 else 8))  # page 1 starts with the file header
        handle.write(b"\xff" * 64)
    return (kb_dir / "kb.sqlite").read_bytes()


@pytest.mark.parametrize("page_of", [
    pytest.param(lambda db: db.execute("SELECT rootpage FROM sqlite_master WHERE name='chunks_doc'").fetchone()[0],
                 id="an-index-page"),
    pytest.param(lambda db: 1, id="the-schema-page"),  # SQLite cannot even read its table list
])
def test_damage_inside_sqlite_is_reported_as_not_repairable(base, embedder, page_of):
    damaged = _scribble(base.kb_dir, page_of)
    try:
        report = check_base(base, embedder)
        repaired = repair_base(base, embedder)
    except sqlite3.DatabaseError:
        pytest.fail("a damaged SQLite file must be reported, not crash the check")
    for found in (report, repaired):
        problems = [f for f in found.findings if f.part == "sqlite"]
        assert problems and not all(f.repairable for f in problems)
        assert not found.consistent
    assert (base.kb_dir / "kb.sqlite").read_bytes() == damaged, "repair must not touch a damaged store"


def test_no_base_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no knowledge base"):
        check_base(Settings(kb_dir=tmp_path / "nothing"))
