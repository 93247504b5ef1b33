"""File -> StoredDocument: check, identify, parse, cut into chunks, find the glossary.

Everything a document goes through before the store sees it, as plain functions of the file
and `ChunkParams`; the knowledge base (index.kb) decides what to do with the result (skip an
unchanged file, refuse a duplicate, encode and store the chunks).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.glossary import extract_glossary
from ingest.ocr import OcrOptions
from ingest.parsers import check_file, parse_file
from ingest.parsers.catalogue import catalogue_chunks
from ingest.parsers.register import register_chunks
from ingest.types import Chunk, Document, ParseError, StoredDocument


@dataclass(frozen=True)
class ChunkParams:
    """How running text is cut (`chunk_document`); tables are cut by rows whatever these say."""

    max_chars: int = 300
    min_chars: int = 60
    overlap_chars: int = 60
    context: bool = True


@dataclass(frozen=True)
class SourceFile:
    """A file as the store identifies it: its resolved path, content hash and size."""

    path: Path
    source: str
    file_hash: str
    size: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def identify(path: Path, max_bytes: int) -> SourceFile:
    """Check that the file can be read as a document and identify it; ParseError says why not."""
    try:
        check_file(path, max_bytes)
        return SourceFile(path, str(path.resolve()), file_sha256(path), path.stat().st_size)
    except OSError as error:
        raise ParseError(f"{path.name}: cannot read the file ({error})") from error


def chunks_of(doc: Document, params: ChunkParams) -> list[Chunk]:
    """A catalogue is cut by its items, a register by its records, anything else by its structure."""
    if doc.items:
        return catalogue_chunks(doc)
    if doc.records:
        return register_chunks(doc, params.max_chars)
    return chunk_document(doc, max_chars=params.max_chars, min_chars=params.min_chars,
                          overlap_chars=params.overlap_chars, context=params.context)


def parse(source: SourceFile, max_bytes: int, ocr: OcrOptions | None = None) -> Document:
    """The file's Document, stored under its resolved path; ParseError when it cannot be read."""
    return replace(parse_file(source.path, max_bytes, ocr), source=source.source)


def prepare(doc: Document, file_hash: str, size: int, params: ChunkParams) -> StoredDocument:
    """A parsed document cut into chunks, with its glossary; ParseError when there is no text."""
    chunks = chunks_of(doc, params)
    if not chunks:
        raise ParseError("no text to index")
    return StoredDocument(doc, tuple(chunks), file_hash, size, tuple(extract_glossary(doc.text)))


def with_glossary(item: StoredDocument) -> StoredDocument:
    """A document cut elsewhere (a benchmark's passages) with the glossary its text defines."""
    return item if item.glossary else replace(item, glossary=tuple(extract_glossary(item.doc.text)))
