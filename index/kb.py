"""The knowledge base: one directory holding the store and the indexes derived from it.

Layout of the directory (all plain, inspectable files):
    kb.sqlite            documents, chunks, embedding cache (source of truth)
    index.json           what shaped the indexes (IndexParams): backend, chunking, BM25, layout
    dense-<model>.faiss  local backend: FAISS index of chunk vectors, keyed by chunk id
    lexical/             local backend: BM25 index (numpy arrays + JSON)
    milvus.db            milvus backend on Milvus Lite (a server keeps its collections itself)
    cache/               jieba's dictionary cache

The knowledge base depends on two protocols, `DenseIndex` and `LexicalIndex`, opened by an
`IndexBackend` (index.local, index.milvus). Both indexes are checked against the store when
the base opens and brought up to date from it, so an ingest killed at any point leaves a base
that opens, searches, and is completed by the next ingest.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from filelock import FileLock

from config.settings import Settings
from index.dense import DenseLayout
from index.embed import CachedEmbedder, QueryBatcher, SentenceTransformerEmbedder
from index.hybrid import BM25_MINIMUM, convex_fusion, diversify_by_group, reciprocal_rank_fusion
from index.lexical import ChineseTokenizer, recover_folder
from index.local import LocalBackend
from index.models import ORIGINAL, model_folder, named_model, set_active_model
from index.rerank import document_rerank
from index.rwlock import ReadWriteLock
from index.store import Store
from index.types import (
    Allowed,
    CatalogueRecord,
    ChunkFields,
    Citation,
    DenseIndex,
    DocumentRecord,
    Embedder,
    FileResult,
    FileStatus,
    Filters,
    GlossaryRecord,
    Hit,
    IndexBackend,
    IndexParams,
    IngestReport,
    LexicalIndex,
    ScoredIds,
    SearchMode,
    SearchPage,
    SearchParams,
    StoredDocument,
)
from ingest.chunking import bare_title, names_of, regulation_title
from ingest.official import find_doc_numbers, same_doc_number
from ingest.pipeline import ChunkParams, identify, parse, prepare, with_glossary
from ingest.types import SECTION_SEPARATOR, Chunk, ParseError

log = logging.getLogger(__name__)

MAX_K = 1000
# jieba part-of-speech tags of places and organisations. Not persons (nr): in a layperson's
# question they are the parties of a case (小明, 小李), and jieba tags many common words nr
# (许可, 申请人, 保姆 in STARD's questions), so a person name never refuses a question.
_NAME_TAGS = ("ns", "nt")
# A term in quotation marks (not a 《title》: a law the base lacks is refused by its name, answer.ask).
_QUOTED = re.compile(r"[“「‘\"]([^“”「」‘’\"]{2,20})[”」’\"]")


class IngestListener:
    """Receives progress while ingesting; the CLI turns it into progress bars. Methods are no-ops here."""

    def files_found(self, total: int) -> None:
        """The number of files about to be read."""

    def file_started(self, path: Path) -> None:
        """A file is being parsed and indexed."""

    def encoded(self, count: int) -> None:
        """`count` more passages went through the embedding model."""

    def file_done(self, result: FileResult) -> None:
        """A file is finished, whatever its status."""


# The administrative level a place name may carry or leave out (衡阳市 / 衡阳, 广东省 / 广东).
_DIVISION = re.compile(r"(?:特别行政区|自治区|自治州|自治县|省|市|区|县|州|镇|乡|村|旗|盟)$")


_LOCATIVES = ("上", "里", "中", "内")


def _scope_nouns(question: str) -> list[str]:
    """Nouns the question scopes its topic by: 「火星上的清廉建设标准」 -> 火星 (a noun, a locative
    上/里/中/内, then 的). Written from the grammar of the phrase: on STARD's 1,235 questions all
    14 such nouns (集体土地上的房屋, 离婚协议中的赠与) occur in the laws, so none is refused."""
    words = _tagged(question)
    return [word for (word, flag), (locative, place), (then, _) in zip(words, words[1:], words[2:])
            if flag.startswith("n") and len(word) >= 2 and place == "f" and locative in _LOCATIVES and then == "的"]


@functools.lru_cache(maxsize=256)
def _tagged(question: str) -> tuple[tuple[str, str], ...]:
    """(word, part of speech) of a question by jieba's tagger, once per question: `ask` reads
    its names, scopes and places in several steps."""
    import jieba.posseg  # noqa: PLC0415 -- jieba's tagger loads its model on first use

    return tuple((pair.word, pair.flag) for pair in jieba.posseg.cut(question))


def name_forms(name: str) -> list[str]:
    """A name, and a place name without its level when two characters or more remain."""
    bare = _DIVISION.sub("", name)
    return [name, bare] if bare != name and len(bare) >= 2 else [name]


# Parsers whose chunks are rows of a table: search groups them apart from running text.
TABLE_KINDS = ("catalogue", "register")


def result_type(hit: Hit) -> str:
    """"entry" for a row of a catalogue or register, "passage" for running text."""
    return "entry" if hit.citation.kind in TABLE_KINDS else "passage"


def result_group(hit: Hit) -> tuple[str, ...]:
    """What one page of diversified results should not be filled with: the rows of one table, or
    the passages of one section of one document."""
    if result_type(hit) == "entry":
        return ("entry", hit.chunk.doc_id)
    return ("passage", hit.chunk.doc_id, *hit.chunk.section_path)


def open_embedder(settings: Settings, folder: Path) -> Embedder:
    """The model in `folder` on the configured backend (ONNX exports are kept in the base's cache)."""
    backend, batch = settings.embedding_backend, settings.embedding_batch_size
    if backend == "torch":
        return batched(settings, SentenceTransformerEmbedder(folder, settings.embedding_device, batch))
    from index.onnx import OnnxEmbedder  # optional extra

    return batched(settings, OnnxEmbedder(folder, settings.kb_dir / "cache", quantize=backend == "onnx-int8",
                                          batch_size=batch))


PARAMS_FILE = "index.json"
# The fields of IndexParams that shape each index: one that differs from what the saved index
# was built with has that index rebuilt from the store (vectors from the embedding cache).
_LEXICAL_SHAPE = ("bm25_k1", "bm25_b")
_DENSE_SHAPE = ("dense_index", "ivf_threshold", "ivf_nprobe", "milvus_index")
_CHUNK_SHAPE = ("chunk_max_chars", "chunk_min_chars", "chunk_overlap_chars", "chunk_context")


def saved_index_params(folder: Path) -> IndexParams | None:
    """What the indexes in `folder` were built with (None for a new base, or one from before index.json)."""
    path = folder / PARAMS_FILE
    if not path.is_file():
        return None
    try:
        return IndexParams.from_json(json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path} cannot be read ({error}); delete it to have it written again") from error


def write_index_params(folder: Path, params: IndexParams) -> None:
    path = folder / PARAMS_FILE
    staging = path.with_suffix(".json.tmp")
    staging.write_text(json.dumps(params.to_json(), indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(staging, path)


def open_backend(settings: Settings, params: IndexParams) -> IndexBackend:
    """The backend `params` names, over the base in `settings.kb_dir`."""
    if params.backend == "local":
        return LocalBackend(settings.kb_dir, params.bm25_k1, params.bm25_b,
                            DenseLayout(params.dense_index, params.ivf_threshold, params.ivf_nprobe))
    if params.backend == "milvus":
        from index.milvus import MilvusBackend  # optional extra  # noqa: PLC0415

        uri = settings.milvus_uri or str(settings.kb_dir / "milvus.db")
        # A Milvus Lite file belongs to one base; a server holds the collections of all bases.
        prefix = "policykb" if not uri.startswith(("http://", "https://", "tcp://")) else f"policykb_{settings.kb_name}"
        return MilvusBackend(uri, prefix, params.bm25_k1, params.bm25_b, params.milvus_index)
    raise ValueError(f"unknown index backend {params.backend!r}; use local or milvus")


def batched(settings: Settings, embedder: Embedder) -> Embedder:
    """Concurrent queries share model calls (setting query_batch_size; 1 = each query alone).

    Measured on 2 cores (docs/benchmarks.md): batching raises torch's search throughput, while
    ONNX Runtime serves more when concurrent queries run as separate calls, hence 0 = by backend.
    """
    size = settings.query_batch_size or (16 if settings.embedding_backend == "torch" else 1)
    if size <= 1 or isinstance(embedder, QueryBatcher):
        return embedder
    return QueryBatcher(embedder, size)


class KnowledgeBase:
    """Search and maintain the documents in `settings.kb_dir`.

    `search` is the one entry point the CLI, the API and the evaluation all use.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None, repair: bool = True) -> None:
        """Open (or create) the base. With `repair=False` the derived indexes are loaded as found
        on disk and not brought in line with the store: `load_problems` says what could not be
        loaded (this is how `policykb check` sees a damaged base before fixing it)."""
        self.settings = settings
        self.dir = settings.kb_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        # Guards the derived indexes: searches share its read side, updates take the write side
        # briefly, so a server answers while a background ingest runs (encoding happens outside).
        self._lock = ReadWriteLock()
        self.load_problems: list[str] = []
        self.store = Store(self.dir / "kb.sqlite")
        # Serialises writers across processes (a server's upload job, a CLI ingest, another worker).
        self._write_lock = FileLock(self.dir / "write.lock")
        inner = self._batched(embedder) if embedder is not None else self._model(model_folder(settings))
        self.embedder = CachedEmbedder(inner, self.store)
        self.tokenizer = self._make_tokenizer()
        saved = saved_index_params(self.dir)
        self.index_params = self._checked_params(saved)
        self.backend: IndexBackend = open_backend(settings, self.index_params)
        changed = {name for name in IndexParams.__dataclass_fields__
                   if saved is not None and getattr(saved, name) != getattr(self.index_params, name)}
        self.dense: DenseIndex = self._load_dense(rebuild=bool(changed & set(_DENSE_SHAPE)))
        self.lexical: LexicalIndex = self._load_lexical(recover=repair, rebuild=bool(changed & set(_LEXICAL_SHAPE)))
        self._params_saved = saved == self.index_params
        if repair:
            self.sync()

    @property
    def search_params(self) -> SearchParams:
        """How this base searches when a caller passes no SearchParams (its settings)."""
        return self.settings.search_params()

    # -- opening -----------------------------------------------------------------------

    def _checked_params(self, saved: IndexParams | None) -> IndexParams:
        """The IndexParams this base runs with: the settings', on the backend the base was built on
        unless the settings name one; a base on another backend than the one named is refused."""
        asked = self.settings.index_backend
        if saved is not None and asked and saved.backend != asked:
            raise ValueError(
                f"the indexes of {self.dir} are on the {saved.backend} backend and the setting index_backend asks"
                f" for {asked}: move the base with `policykb reindex --backend {asked}`, or unset"
                " POLICYKB_INDEX_BACKEND to use it as it is"
            )
        params = self.settings.index_params(saved.backend if saved is not None else "")
        if saved is not None:
            cut = {n: getattr(saved, n) for n in _CHUNK_SHAPE if getattr(saved, n) != getattr(params, n)}
            if cut:
                wanted = {n: getattr(params, n) for n in cut}
                problem = (f"the stored documents were cut with {cut} and the settings ask for {wanted}: documents"
                           " keep their chunks until they are ingested again (policykb remove, then ingest)")
                log.warning(problem)
                self.load_problems.append(f"chunking: {problem}")
        return params

    def _model(self, folder: Path) -> Embedder:
        return open_embedder(self.settings, folder)

    def _batched(self, embedder: Embedder) -> Embedder:
        return batched(self.settings, embedder)

    def _vocabulary(self) -> set[str]:
        """The base's own terms, which the tokenizer keeps whole besides the user dictionary: what
        its documents define (glossary terms) and its catalogues name (units, categories, items)."""
        terms = {t for t in self.store.glossary_terms() if "、" not in t}  # cadences are phrases, not words
        return terms | set(self.store.catalogue_names())

    def _make_tokenizer(self) -> ChineseTokenizer:
        return ChineseTokenizer(self._vocabulary(), self.settings.user_dict, cache_dir=self.dir / "cache")

    def _refresh_vocabulary(self, build: bool = True) -> None:
        """Re-tokenise every chunk when ingestion brought new glossary terms or catalogue names.

        With `build=False` (a reader following another process's writes) the index the writer
        saved for the new vocabulary is loaded; one kept in an engine is never rebuilt by a reader.
        """
        tokenizer = self._make_tokenizer()
        if tokenizer.version == self.tokenizer.version:
            return
        try:
            lexical = self.backend.load_lexical(tokenizer) if not build else None
        except ValueError:
            lexical = None
        if lexical is None:
            if not build and not self.backend.in_process:
                return  # the writer has not built it yet: the next refresh looks again
            log.info("the vocabulary changed; re-tokenising all chunks for BM25")
            lexical = self.backend.empty_lexical(tokenizer)
            ids = self.store.chunk_ids()
            lexical.add(ids, self.store.lexical_texts(ids.tolist()), self.store.chunk_fields(ids.tolist()))
        with self._lock.write():
            old, self.tokenizer, self.lexical = self.lexical, tokenizer, lexical
        if build and not self.backend.in_process:
            old.drop()  # the engine's collection of the old vocabulary; files are replaced by `save`

    def _load_dense(self, rebuild: bool = False) -> DenseIndex:
        model_id = self.embedder.model_id
        if rebuild:
            log.info("the dense index was built with other parameters; it is rebuilt from the store")
            return self.backend.empty_dense(model_id)
        try:
            return self.backend.load_dense(model_id)
        except ValueError as error:
            log.info("%s; a new dense index will be built from the store", error)
            self.load_problems.append(f"dense: {error}")
            return self.backend.empty_dense(model_id)

    def _load_lexical(self, recover: bool = True, rebuild: bool = False) -> LexicalIndex:
        if recover and self.backend.in_process:
            recover_folder(self.dir / "lexical")
        if rebuild:
            log.info("the BM25 index was built with other parameters; it is rebuilt from the store")
            return self.backend.empty_lexical(self.tokenizer)
        try:
            return self.backend.load_lexical(self.tokenizer)
        except ValueError as error:
            log.info("%s; the BM25 index will be rebuilt from the store", error)
            self.load_problems.append(f"bm25: {error}")
            return self.backend.empty_lexical(self.tokenizer)

    def refresh(self) -> bool:
        """Load what another process committed to the store since this one last looked.

        A server calls this periodically (setting reload_interval) so a CLI ingest or another
        worker's upload is found without a restart; vectors come from the embedding cache the
        writer filled, so nothing is encoded. The files of the derived indexes are the writer's
        to save. Returns whether anything was loaded.
        """
        if not self.store.changed_elsewhere():
            return False
        # An engine's indexes are shared: the writer brought them up to date; files are per process.
        self._refresh_vocabulary(build=False)
        fixed = self.sync(save=False) if self.backend.in_process else {}
        if any(fixed.values()):
            log.info("loaded changes made by another process: %s", fixed)
        return True

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the base's inter-process write lock, starting from everything already committed.

        Without it two writers would each save indexes that lack the other's chunks; with it
        the second waits and then builds on the first's work.
        """
        with self._write_lock:
            self.refresh()
            yield

    def sync(self, save: bool = True) -> dict[str, int]:
        """Bring the derived indexes in line with the store; returns how many ids were fixed per index.

        Missing chunks are added (their vectors come from the embedding cache), chunks no
        longer in the store are removed. Nothing happens when all agree.
        """
        with self._lock.write():
            truth = self.store.chunk_ids()
            fixed = {}
            for name, index in (("dense", self.dense), ("bm25", self.lexical)):
                present = index.ids()
                stale = np.setdiff1d(present, truth)
                missing = np.setdiff1d(truth, present)
                if len(stale):
                    index.remove(stale)
                if len(missing):
                    log.info("adding %d chunks missing from the %s index", len(missing), name)
                    ids = missing.tolist()
                    if index is self.dense:
                        self.dense.add(missing, self.embedder.encode_documents(self.store.chunk_texts(ids)),
                                       self.store.chunk_fields(ids))
                    else:
                        self.lexical.add(missing, self.store.lexical_texts(ids), self.store.chunk_fields(ids))
                fixed[name] = int(len(stale) + len(missing))
            if save and (any(fixed.values()) or not self._params_saved):
                self.save()
        return fixed

    def save(self) -> None:
        """Make both indexes durable (files replaced atomically, or the engine flushed), then
        write what shaped them to index.json."""
        with self._lock.write():
            self.dense.save()
            self.lexical.save()
            write_index_params(self.dir, self.index_params)
            self._params_saved = True

    def warm_up(self) -> None:
        """Load the embedding model and the tokenizer's dictionary now, not during the first user's request."""
        self.embedder.encode_queries(["预热"])
        self.tokenizer.tokenize("预热")
        self.unknown_names("广州预热")  # jieba's part-of-speech model, used by ask

    def close(self) -> None:
        self.store.close()
        self.backend.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingestion ---------------------------------------------------------------------

    def discover(self, paths: Iterable[Path]) -> list[Path]:
        """Files to ingest: named files as given, folders walked recursively minus ignored names."""
        found: list[Path] = []
        for path in paths:
            if path.is_dir():
                for file in sorted(path.rglob("*")):
                    relative = file.relative_to(path).parts
                    if file.is_file() and not any(self._ignored(part) for part in relative):
                        found.append(file)
            else:
                found.append(path)
        return list(dict.fromkeys(found))

    def _ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.settings.ignore)

    def ingest(self, paths: Iterable[Path], listener: IngestListener | None = None) -> IngestReport:
        """Add new files, re-index changed ones, skip unchanged ones; every file gets a result."""
        with self._writing():
            return self._ingest(paths, listener)

    def _ingest(self, paths: Iterable[Path], listener: IngestListener | None) -> IngestReport:
        listener = listener or IngestListener()
        started, encoded_before = time.perf_counter(), self.embedder.encoded
        files = self.discover(paths)
        listener.files_found(len(files))
        results: list[FileResult] = []
        unsaved = 0
        try:
            for path in files:
                listener.file_started(path)
                result = self._ingest_file(path, listener)
                results.append(result)
                listener.file_done(result)
                if result.status in (FileStatus.added, FileStatus.updated):
                    unsaved += 1
                if unsaved >= self.settings.index_save_every:
                    self.save()
                    unsaved = 0
        finally:
            if any(r.status in (FileStatus.added, FileStatus.updated) for r in results):
                self._refresh_vocabulary()
                self.save()
        return IngestReport(tuple(results), self.embedder.encoded - encoded_before, time.perf_counter() - started)

    def _ingest_file(self, path: Path, listener: IngestListener) -> FileResult:
        shown = str(path)
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        try:
            source = identify(path, max_bytes)
        except ParseError as error:
            return FileResult(shown, FileStatus.failed, message=str(error))
        known_hash = self.store.file_hash_of(source.source)
        if known_hash == source.file_hash:
            return FileResult(shown, FileStatus.unchanged)
        try:
            doc = parse(source, max_bytes, self.settings.ocr_options())
            other = self.store.source_of(doc.id)
            if other is not None and other != source.source:
                return FileResult(shown, FileStatus.duplicate, doc.id, doc.title, message=f"same text as {other}")
            item = prepare(doc, source.file_hash, source.size, self._chunk_params())
        except ParseError as error:
            return FileResult(shown, FileStatus.failed, message=str(error))
        self._store_documents([item], listener)
        status = FileStatus.updated if known_hash is not None else FileStatus.added
        return FileResult(shown, status, doc.id, doc.title, len(item.chunks), "; ".join(doc.warnings))

    def _chunk_params(self) -> ChunkParams:
        p = self.index_params
        return ChunkParams(p.chunk_max_chars, p.chunk_min_chars, p.chunk_overlap_chars, p.chunk_context)

    def _store_documents(self, batch: Sequence[StoredDocument], listener: IngestListener) -> None:
        """The one write path: encode (filling the cache before the commit), store, index."""
        chunks = [chunk for item in batch for chunk in item.chunks]
        vectors = self.embedder.encode_documents([chunk.text for chunk in chunks], listener.encoded)
        with self._lock.write():
            new_ids, old_ids = self.store.replace_documents(batch)
            for index in (self.dense, self.lexical):
                index.remove(old_ids)
            fields = [ChunkFields(item.doc.id, SECTION_SEPARATOR.join(chunk.section_path))
                      for item in batch for chunk in item.chunks]
            self.dense.add(new_ids, vectors, fields)
            self.lexical.add(new_ids, [chunk.lexical_text for chunk in chunks], fields)

    def add_documents(
        self, items: Sequence[StoredDocument], listener: IngestListener | None = None, batch_chunks: int = 2048
    ) -> IngestReport:
        """Bulk-load documents that are already cut into chunks (e.g. a benchmark's passages).

        Documents whose source is stored with the same hash are skipped, so an interrupted load
        resumes where it stopped. Chunks are encoded in large batches and each batch is stored
        in one transaction, which is what makes tens of thousands of one-passage documents fast.
        """
        with self._writing():
            return self._add_documents(items, listener, batch_chunks)

    def _add_documents(
        self, items: Sequence[StoredDocument], listener: IngestListener | None, batch_chunks: int
    ) -> IngestReport:
        listener = listener or IngestListener()
        started, encoded_before = time.perf_counter(), self.embedder.encoded
        known = self.store.file_hashes()
        results: list[FileResult] = []
        todo = []
        for item in items:
            if not item.chunks:
                results.append(FileResult(item.doc.source, FileStatus.failed, message="no text to index"))
            elif known.get(item.doc.source) == item.file_hash:
                results.append(FileResult(item.doc.source, FileStatus.unchanged, item.doc.id, item.doc.title))
            else:
                todo.append(item)
        listener.files_found(len(todo))
        try:
            for begin in range(0, len(todo), max(1, batch_chunks)):
                batch = [with_glossary(item) for item in todo[begin : begin + batch_chunks]]
                self._store_documents(batch, listener)
                for item in batch:
                    status = FileStatus.updated if item.doc.source in known else FileStatus.added
                    result = FileResult(item.doc.source, status, item.doc.id, item.doc.title, len(item.chunks))
                    results.append(result)
                    listener.file_done(result)
        finally:  # saved once: after a crash, opening the base re-adds stored chunks from the vector cache
            if todo:
                self._refresh_vocabulary()
                self.save()
        return IngestReport(tuple(results), self.embedder.encoded - encoded_before, time.perf_counter() - started)

    # -- models ------------------------------------------------------------------------

    def build_dense(self, folder: Path, listener: IngestListener | None = None) -> tuple[Embedder, DenseIndex]:
        """A dense index of every stored chunk under the model in `folder` (saved, not yet used),
        with that model's embedder.

        Vectors go through the embedding cache, so a model that encoded the base before
        (or a tune run that evaluated it) encodes nothing again.
        """
        embedder = CachedEmbedder(self._model(folder), self.store)
        dense = self._filled_dense(self.backend, embedder, listener or IngestListener())
        return embedder, dense

    def _filled_dense(self, backend: IndexBackend, embedder: Embedder, listener: IngestListener,
                      batch: int = 4096) -> DenseIndex:
        """A new dense index on `backend` holding every stored chunk, saved."""
        ids = self.store.chunk_ids()
        listener.files_found(len(ids))
        dense = backend.empty_dense(embedder.model_id)
        for begin in range(0, len(ids), batch):
            part = ids[begin : begin + batch]
            texts = self.store.chunk_texts(part.tolist())
            dense.add(part, embedder.encode_documents(texts, listener.encoded), self.store.chunk_fields(part.tolist()))
        dense.save()
        return dense

    def use_model(self, name: str, listener: IngestListener | None = None) -> DenseIndex:
        """Re-index the base with the tuned model `name` (or `original`) and search with it from now on."""
        if self.settings.embedding_model:
            raise ValueError(
                "POLICYKB_EMBEDDING_MODEL is set and overrides the base's model; unset it to choose one with reindex"
            )
        folder = self.settings.model_path() if name == ORIGINAL else named_model(self.dir, name).folder
        with self._writing():
            embedder, dense = self.build_dense(folder, listener)
            with self._lock.write():
                set_active_model(self.dir, None if name == ORIGINAL else name)
                self.embedder, self.dense = embedder, dense
        return dense

    def move_to_backend(self, name: str, listener: IngestListener | None = None) -> IndexParams:
        """Rebuild both indexes on the backend `name` (local or milvus) from the store, without
        encoding anything (vectors come from the embedding cache), and use it from now on.

        The old backend's indexes stay where they are until the base is moved back, so a move
        can be undone; index.json names the backend the base is on.
        """
        listener = listener or IngestListener()
        params = replace(self.index_params, backend=name)
        with self._writing():
            backend = open_backend(self.settings, params)
            try:
                dense = self._filled_dense(backend, self.embedder, listener)
                lexical = backend.empty_lexical(self.tokenizer)
                ids = self.store.chunk_ids()
                for begin in range(0, len(ids), 4096):
                    part = ids[begin : begin + 4096].tolist()
                    lexical.add(ids[begin : begin + 4096], self.store.lexical_texts(part), self.store.chunk_fields(part))
                lexical.save()
            except BaseException:
                backend.close()
                raise
            with self._lock.write():
                old = self.backend
                self.backend, self.dense, self.lexical, self.index_params = backend, dense, lexical, params
                write_index_params(self.dir, params)
                self._params_saved = True
            if old is not backend:
                old.close()
        return params

    def remove(self, ref: str) -> DocumentRecord:
        """Delete a document (id, id prefix or source path) from the store and both indexes."""
        with self._writing():
            return self._remove(ref)

    def _remove(self, ref: str) -> DocumentRecord:
        doc_id = self.store.resolve_document(ref)
        record = next(r for r in self.store.documents() if r.id == doc_id)
        with self._lock.write():
            removed = self.store.delete_document(doc_id)
            for index in (self.dense, self.lexical):
                index.remove(removed)
        self._refresh_vocabulary()
        self.save()
        return record

    # -- reading -----------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def glossary(self, term: str = "") -> list[GlossaryRecord]:
        return self.store.glossary(term)

    def catalogue(self, unit: str = "") -> list[CatalogueRecord]:
        return self.store.catalogue(unit)

    def stats(self) -> dict[str, int | str]:
        counts: dict[str, int | str] = dict(self.store.counts())
        counts["dense_vectors"] = len(self.dense)
        counts["dense_index"] = self.dense.describe()
        counts["bm25_passages"] = len(self.lexical)
        counts["backend"] = self.backend.name
        counts["model"] = self.embedder.model_id
        return counts

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode | str = SearchMode.hybrid,
        filters: Filters | None = None,
        vector: np.ndarray | None = None,
        params: SearchParams | None = None,
    ) -> list[Hit]:
        """Rank chunks for `query`: BM25, dense, or both fused (the default) and reranked (setting `rerank`).

        `vector` is the query's embedding when the caller has it already (ask encodes the
        question once for the search and for scoring sentences). `params` shapes this search
        (fusion, expansion, rerank); by default the base's settings.
        """
        params = params or self.search_params
        query = query.strip() if isinstance(query, str) else ""
        if not query:
            raise ValueError("the query is empty")
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        try:
            mode = SearchMode(mode)
        except ValueError:
            raise ValueError(f"unknown search mode {mode!r}; use one of {[m.value for m in SearchMode]}") from None
        allowed = self.store.allowed(filters) if filters and not filters.is_empty() else None
        if mode is SearchMode.bm25:
            vector = None
        elif vector is None:
            vector = self.embedder.encode_queries([query])[0]
        reranked = params.rerank != "none" and mode is SearchMode.hybrid
        depth = max(k, params.rerank_depth) if reranked else k
        with self._lock.read():
            ranked = self._rank(query, vector, depth, mode, allowed, params)
        if reranked:
            ranked = self._rerank(ranked, depth, params)
        return self._hits(ranked, mode, k)

    def search_page(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode | str = SearchMode.hybrid,
        filters: Filters | None = None,
        diversify: bool = True,
    ) -> SearchPage:
        """`search` for a person reading a page of results: each hit with its closeness, and with
        `diversify` a page that one group (the rows of one table, the passages of one section)
        does not fill while close results of other groups exist (`diversify_by_group` over the
        best max(3k, 30) hits, in hybrid mode with BM25's best k; setting `search_group_share`).
        Close hits come first.
        """
        query = query.strip() if isinstance(query, str) else ""
        if not query:
            raise ValueError("the query is empty")
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        vector = self.embedder.encode_queries([query])[0]  # closeness needs it in every mode
        depth = min(MAX_K, max(3 * k, 30)) if diversify else k
        candidates = self.search(query, depth, mode, filters, vector)
        if diversify and SearchMode(mode) is SearchMode.hybrid:
            # BM25's own best hits join the pool: min-max fusion scores the last of a short BM25 list 0,
            # so a passage holding a rare catalogue name can rank far down (五好 over corpus/ and
            # realdocs: the one passage that names it is BM25's 2nd hit and the fused 200th).
            seen = {h.chunk.id for h in candidates}
            lexical = self.search(query, k, SearchMode.bm25, filters)
            candidates += [h for h in lexical if h.chunk.id not in seen]
        closeness = self.closeness(query, candidates, vector)
        least = self.settings.search_min_closeness
        if diversify:
            groups = [result_group(h) for h in candidates]
            order = diversify_by_group(groups, [c >= least for c in closeness], k, self.settings.search_group_share)
        else:
            order = list(range(min(k, len(candidates))))
        hits = tuple(replace(candidates[i], rank=rank) for rank, i in enumerate(order, 1))
        return SearchPage(hits, tuple(closeness[i] for i in order), least, diversify)

    def closeness(self, query: str, hits: Sequence[Hit], vector: np.ndarray | None = None) -> list[float]:
        """How close each hit is to the query, comparable across queries (unlike fused scores, which
        are relative to the best hit): the cosine of their embeddings plus `search_coverage_weight`
        times the idf-weighted share of the query's distinct terms that the hit's BM25 text holds.

        m3e-small rates any two pieces of policy prose fairly alike, so cosine alone tells a question
        the base cannot serve from one it can less well (F1 0.92 on the development questions, against
        0.995 for the sum); words alone miss paraphrases (docs/benchmarks.md). idf is BM25's (Robertson
        and Spärck Jones), so 清廉 in a base about 清廉 weighs little and 红烧肉, found nowhere, most.
        """
        if not hits:
            return []
        if vector is None:
            vector = self.embedder.encode_queries([query])[0]
        cosines = self.embedder.encode_documents([h.chunk.text for h in hits]) @ vector
        terms = list(dict.fromkeys(self.tokenizer.tokenize(query)))
        with self._lock.read():
            n = len(self.lexical)
            idf = {t: float(np.log1p((n - df + 0.5) / (df + 0.5)))
                   for t in terms for df in [self.lexical.document_frequency(t)]}
        total = sum(idf.values())
        weight = self.settings.search_coverage_weight
        values = []
        for hit, cosine in zip(hits, np.asarray(cosines).tolist()):
            held = set(self.tokenizer.tokenize(hit.chunk.lexical_text)) if total else set()
            coverage = sum(idf[t] for t in terms if t in held) / total if total else 0.0
            values.append(float(cosine) + weight * coverage)
        return values

    def article(self, question: str, number: int, filters: Filters | None = None) -> list[Hit]:
        """The chunks of article `number` of the law (or regulation) the question names, by structure.

        A document answers when its title, or the title of the regulation holding the article in
        a compilation, is written in the question (without 《》, 「中华人民共和国」 or a trailing
        （2018修正）); the longest such name wins, so 「劳动合同法实施条例第五条」 is not article 5
        of 劳动合同法. Several documents of the same name (a law as PDF and as Word) all answer.
        Empty when no document of that name has the article.
        """
        if number < 1:
            return []
        allowed = self.store.allowed_ids(filters) if filters and not filters.is_empty() else None
        asked = bare_title(question)
        named: list[tuple[int, Chunk, Citation]] = []
        for chunk, citation in self.store.article_chunks(number, allowed):
            names = {*names_of(citation.title), bare_title(regulation_title(chunk.section_path))} - {""}
            length = max((len(name) for name in names if name in asked), default=0)
            if length >= 2:
                named.append((length, chunk, citation))
        # The longest name the question holds wins even where that document lacks the article:
        # 「劳动合同法实施条例第43条」 is not article 43 of 劳动合同法.
        longest = max((len(name) for _, title in self.named_documents(question) for name in names_of(title)
                       if name in bare_title(question)), default=0)
        if not named or max(length for length, _, _ in named) < longest:
            return []
        best = max(length for length, _, _ in named)
        chosen = [(chunk, citation) for length, chunk, citation in named if length == best]
        return [Hit(chunk, citation, 1.0, rank, SearchMode.bm25) for rank, (chunk, citation) in enumerate(chosen, 1)]

    def law_names(self) -> set[str]:
        """The names a question may call a stored law or regulation by (`names_of`): documents'
        titles, and in compilations the titles above the articles (`regulation_title`)."""
        names = {name for _, title, _ in self.store.document_names() for name in names_of(title)}
        for chunk, _ in self.store.article_chunks(1):
            if regulation := bare_title(regulation_title(chunk.section_path)):
                names.add(regulation)
        return names

    def named_documents(self, question: str) -> list[tuple[str, str]]:
        """(id, title) of the documents whose title (as `bare_title` writes it) the question holds;
        of the longest such name only."""
        asked = bare_title(question)
        named = [(max(len(name) for name in names), doc_id, title)
                 for doc_id, title, _ in self.store.document_names()
                 if (names := [name for name in names_of(title) if len(name) >= 2 and name in asked])]
        best = max((length for length, _, _ in named), default=0)
        return [(doc_id, title) for length, doc_id, title in named if length == best]

    def unknown_names(self, question: str) -> list[str]:
        """Place and organisation names in the question (`question_names`), terms it puts in
        quotation marks (“六清”: the asker means that very term) and the noun of a locative
        scope (「火星上的…」, `_scope_nouns`) that no stored document holds: 「上海」 in a question
        to a base of Guangzhou documents."""
        quoted = [term for term in _QUOTED.findall(question) if term.strip()]
        asked = list(dict.fromkeys([*self.question_names(question), *quoted, *_scope_nouns(question)]))
        return [name for name in asked if not self._mentioned(name)]

    def question_names(self, question: str) -> list[str]:
        """Place and organisation names in the question (jieba's ns/nt tags, two characters
        or more), in order. Common nouns are left alone: a layperson's 老板 or 小孩 is
        how they ask about 用人单位 or 适龄儿童, not a sign the base lacks the answer."""
        names = [word for word, flag in _tagged(question) if flag.startswith(_NAME_TAGS) and len(word) >= 2]
        return list(dict.fromkeys(names))

    def documents_naming(self, name: str, among: Sequence[str] | None = None) -> list[str]:
        """Ids of the documents that hold a name (or the place without its level: 海珠 for 海珠区)."""
        return self.store.documents_mentioning(name_forms(name), among)

    def _mentioned(self, name: str) -> bool:
        """Whether the base holds a name: a BM25 term first (no I/O), then a scan of the stored texts."""
        forms = name_forms(name)
        with self._lock.read():
            if any(self.lexical.document_frequency(form) for form in forms):
                return True
        return any(self.store.mentions(form) for form in forms)

    def numbered_documents(self, question: str) -> list[str]:
        """Ids of the documents whose 文号 the question writes, in any bracket (`same_doc_number`)."""
        asked = [number for _, _, number in find_doc_numbers(question)]
        if not asked:
            return []
        return [doc_id for doc_id, _, number in self.store.document_names()
                if number and any(same_doc_number(number, written) for written in asked)]

    def _rerank(self, ranked: ScoredIds, depth: int, params: SearchParams) -> ScoredIds:
        """The rerank stage over the best `depth` candidates."""
        top = ScoredIds(ranked.ids[:depth], ranked.scores[:depth])
        titles = self.store.chunk_titles(top.ids.tolist())
        return document_rerank(top, titles, params.rerank_weight)

    def _rank(
        self, query: str, vector: np.ndarray | None, k: int, mode: SearchMode, allowed: Allowed | None,
        params: SearchParams,
    ) -> ScoredIds:
        expand = params.expand_terms > 0
        if mode is SearchMode.bm25 or vector is None:
            ranked = self.lexical.search(query, k, allowed)
            return self._expanded_bm25(query, ranked.ids, k, allowed, params) if expand else ranked
        if mode is SearchMode.dense:
            return self.dense.search(vector, k, allowed)
        depth = max(k, params.fusion_depth)
        dense = self.dense.search(vector, depth, allowed)
        fused = self._fuse(self.lexical.search(query, depth, allowed), dense, params)
        if expand:  # second BM25 pass with terms from the best fused passages, fused again
            fused = self._fuse(self._expanded_bm25(query, fused.ids, depth, allowed, params), dense, params)
        return fused

    @staticmethod
    def _fuse(lexical: ScoredIds, dense: ScoredIds, params: SearchParams) -> ScoredIds:
        weights = [params.weight_bm25, params.weight_dense]
        if params.fusion == "convex":
            minimums = None
            if params.convex_normalisation == "theoretical":
                minimums = [BM25_MINIMUM, params.convex_dense_minimum]
            return convex_fusion([lexical, dense], weights, minimums)
        return reciprocal_rank_fusion([lexical, dense], weights, params.rrf_k)

    def _expanded_bm25(
        self, query: str, first: np.ndarray, k: int, allowed: Allowed | None, params: SearchParams
    ) -> ScoredIds:
        """BM25 for the query plus expansion terms drawn from the first pass's best passages."""
        feedback = first[: params.expand_docs].tolist()
        terms = self.lexical.expansion_terms(feedback, query, params.expand_terms)
        return self.lexical.search(query, k, allowed, terms)

    def _hits(self, ranked: ScoredIds, mode: SearchMode, k: int) -> list[Hit]:
        ids = ranked.ids[:k].tolist()
        found = self.store.chunks(ids)
        hits = []
        for chunk_id, score in zip(ids, ranked.scores[:k].tolist()):
            if chunk_id in found:  # a chunk removed since the index was read is skipped
                chunk, citation = found[chunk_id]
                hits.append(Hit(chunk, citation, float(score), len(hits) + 1, mode))
        return hits
