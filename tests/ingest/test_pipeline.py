"""File -> StoredDocument on the committed corpus: identity, parsing, chunks by kind, glossary."""

from __future__ import annotations

import hashlib

import pytest

from ingest.pipeline import ChunkParams, identify, parse, prepare, with_glossary
from ingest.types import ParseError, StoredDocument
from tests.conftest import REPO, SEED

CATALOGUE = next((REPO / "corpus").glob("*.csv"))


def test_a_file_is_identified_by_its_resolved_path_hash_and_size():
    source = identify(SEED, 10 << 20)
    assert source.source == str(SEED.resolve()) and source.size == SEED.stat().st_size
    assert source.file_hash == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_a_missing_or_oversized_file_is_a_parse_error_naming_it(tmp_path):
    with pytest.raises(ParseError, match="nothing.txt"):
        identify(tmp_path / "nothing.txt", 10 << 20)
    with pytest.raises(ParseError):
        identify(SEED, 10)


def test_running_text_is_cut_by_the_params_and_brings_its_glossary():
    source = identify(SEED, 10 << 20)
    doc = parse(source, 10 << 20)
    assert doc.source == source.source
    small, large = (prepare(doc, source.file_hash, source.size, ChunkParams(max_chars=m, min_chars=40))
                    for m in (150, 600))
    assert len(small.chunks) > len(large.chunks)
    assert all(len(c.text) <= 150 for c in small.chunks)
    assert "五清" in {entry.term for entry in small.glossary}


def test_a_catalogue_is_cut_by_its_rows_whatever_the_params():
    source = identify(CATALOGUE, 10 << 20)
    doc = parse(source, 10 << 20)
    item = prepare(doc, source.file_hash, source.size, ChunkParams(max_chars=100, min_chars=10, overlap_chars=0))
    assert len(item.chunks) == len(doc.items) > 0


def test_a_document_without_text_is_refused_and_given_passages_get_a_glossary(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", "utf-8")
    with pytest.raises(ParseError):
        source = identify(empty, 10 << 20)
        prepare(parse(source, 10 << 20), source.file_hash, source.size, ChunkParams())
    source = identify(SEED, 10 << 20)
    item = prepare(parse(source, 10 << 20), source.file_hash, source.size, ChunkParams())
    bare = StoredDocument(item.doc, item.chunks, item.file_hash, item.size)
    assert with_glossary(bare).glossary == item.glossary and with_glossary(item) is item
