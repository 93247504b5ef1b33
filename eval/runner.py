"""Run retrieval configurations over a BEIR benchmark through the product's own `search()`.

Two ways to build the base:
- passage mode indexes each corpus entry as one document with one chunk, as given;
- end-to-end mode ingests a folder of raw documents with the normal pipeline (parsers,
  chunker, citations) and maps every hit back to a judged passage through its citation:
  for laws, the document title plus the 第X条 at the end of the section path.

Bases are cached in `cache_dir` under a key of what shapes the index (corpus content, mode,
chunking); a run that changes only query-side settings (mode, fusion, weights, rerank)
reopens the same base, and an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from eval.datasets import Dataset, Query
from index.kb import IngestListener, KnowledgeBase
from index.types import Embedder, Hit, IngestReport, SearchMode, StoredDocument
from ingest.types import Chunk, Document

log = logging.getLogger(__name__)

# Settings a configuration may change per run: they act at query time, so one base serves all.
QUERY_SIDE = {
    "fusion", "convex_normalisation", "convex_dense_minimum", "rrf_k", "rrf_weight_bm25", "rrf_weight_dense", "fusion_depth",
    "rerank", "rerank_depth", "rerank_weight", "expand_terms", "expand_docs",
}

PRESETS: dict[str, str] = {
    "bm25": "mode=bm25",
    "dense": "mode=dense",
    "hybrid-rrf": "mode=hybrid,fusion=rrf,rerank=none",
    "hybrid-convex": "mode=hybrid,fusion=convex,rerank=none",
    "hybrid-convex+doc": "mode=hybrid,fusion=convex,rerank=document",
}
BASELINES = ("rank_bm25", "m3e-flat")
DEFAULT_CONFIGS = ("bm25", "dense", "hybrid-rrf", "hybrid-convex", "hybrid-convex+doc")


@dataclass(frozen=True)
class RetrievalConfig:
    """A named search configuration: a mode plus query-side setting overrides."""

    name: str
    mode: SearchMode = SearchMode.hybrid
    overrides: tuple[tuple[str, str], ...] = ()

    def settings(self, base: Settings) -> Settings:
        """`base` with this configuration's overrides, validated like any other setting."""
        return Settings.model_validate({**base.model_dump(), **dict(self.overrides)})

    def describe(self) -> str:
        return ",".join([f"mode={self.mode.value}", *(f"{k}={v}" for k, v in self.overrides)])


def parse_config(spec: str) -> RetrievalConfig:
    """`NAME` (a preset) or `NAME:key=value,key=value`, e.g. `light:mode=hybrid,rrf_weight_bm25=0.3`.

    Keys are `mode` and the query-side settings; index-side settings (model, chunking, BM25
    parameters) apply to a whole run through POLICYKB_* variables.
    """
    name, _, body = spec.partition(":")
    name = name.strip()
    if not name:
        raise ValueError(f"configuration {spec!r} has no name")
    if not body:
        if name not in PRESETS:
            raise ValueError(f"unknown configuration {name!r}; presets: {sorted(PRESETS)} (or NAME:key=value,...)")
        body = PRESETS[name]
    mode = SearchMode.hybrid
    overrides = []
    for pair in filter(None, (p.strip() for p in body.split(","))):
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq:
            raise ValueError(f"configuration {name!r}: expected key=value, got {pair!r}")
        if key == "mode":
            try:
                mode = SearchMode(value.strip())
            except ValueError:
                raise ValueError(f"configuration {name!r}: unknown mode {value!r}") from None
        elif key in QUERY_SIDE and key in Settings.model_fields:
            overrides.append((key, value.strip()))
        elif key in Settings.model_fields:
            raise ValueError(
                f"configuration {name!r}: {key} shapes the index; set POLICYKB_{key.upper()} for the whole run"
            )
        else:
            raise ValueError(f"configuration {name!r}: unknown setting {key!r} (query-side: {sorted(QUERY_SIDE)})")
    config = RetrievalConfig(name, mode, tuple(overrides))
    config.settings(Settings())  # validate the values now, not after an hour of indexing
    return config


# -- building the bases ------------------------------------------------------------------------


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:12]


def passage_documents(dataset: Dataset) -> list[StoredDocument]:
    """Each corpus entry as a one-chunk document whose id carries the passage id.

    The document title is the entry's `law` field when it has one (so passages of one law
    share a title, as the chunks of one ingested law do), else its own title.
    """
    items = []
    for passage in dataset.passages.values():
        text = passage.indexed_text
        title = passage.fields.get("law") or passage.title or passage.id
        doc = Document(
            id=passage_doc_id(passage.id),
            title=title,
            source=f"{dataset.folder / 'corpus.jsonl'}#{passage.id}",
            kind="passage",
            text=text,
        )
        chunk = Chunk(doc.id, text, 0, len(text), (passage.title,) if passage.title else ())
        digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
        items.append(StoredDocument(doc, (chunk,) if text.strip() else (), digest, len(text.encode("utf-8"))))
    return items


PASSAGE_PREFIX = "passage:"


def passage_doc_id(passage_id: str) -> str:
    return PASSAGE_PREFIX + passage_id


def base_dir(cache_dir: Path, dataset: Dataset, mode: str, settings: Settings, docs: Path | None) -> Path:
    """The cache folder for a base; its name changes with whatever shapes the index."""
    if mode == "passage":
        key = _key(mode, dataset.corpus_fingerprint())
    else:
        key = _key(mode, str(docs.resolve() if docs else ""), settings.chunk_max_chars, settings.chunk_min_chars,
                   settings.chunk_overlap_chars, settings.chunk_context)
    return cache_dir / f"{dataset.name}-{mode}-{key}"


def open_base(
    dataset: Dataset,
    mode: str,
    settings: Settings,
    cache_dir: Path,
    docs: Path | None = None,
    listener: IngestListener | None = None,
    embedder: Embedder | None = None,
) -> tuple[KnowledgeBase, IngestReport]:
    """Open (building or completing it first) the cached base for `mode` ("passage" or "e2e")."""
    if mode not in ("passage", "e2e"):
        raise ValueError(f"unknown evaluation mode {mode!r}; use passage or e2e")
    if mode == "e2e" and (docs is None or not docs.is_dir()):
        raise ValueError(f"end-to-end mode needs the folder of raw documents (--docs); not found: {docs}")
    folder = base_dir(cache_dir, dataset, mode, settings, docs)
    kb = KnowledgeBase(settings.model_copy(update={"kb_dir": folder}), embedder)
    try:
        if mode == "passage":
            report = kb.add_documents(passage_documents(dataset), listener)
        else:
            report = kb.ingest([docs], listener)
    except BaseException:
        kb.close()
        raise
    (folder / "eval-base.json").write_text(
        json.dumps({"dataset": str(dataset.folder), "mode": mode, "docs": str(docs or "")}, ensure_ascii=False),
        "utf-8",
    )
    return kb, report


# -- mapping hits to judged passages ------------------------------------------------------------

ARTICLE = re.compile(r"^(第[一二三四五六七八九十百千零〇两\d]+条(?:之[一二三四五六七八九十\d]+)?)")
_LAW_NOISE = re.compile(r"中华人民共和国|[\s、·]")


def normalize_law(title: str) -> str:
    """Law titles compared without 中华人民共和国, spaces, 、 and bracket width (as the benchmark does)."""
    return _LAW_NOISE.sub("", unicodedata.normalize("NFKC", title))


class HitMapper:
    """Maps a hit to the judged passage ids it stands for (empty when it matches none).

    Mode "passage" reads the id from passage-mode documents, "e2e" maps ingested chunks by
    citation, and "auto" does whichever fits each hit (a base may hold both).
    """

    def __init__(self, dataset: Dataset, mode: str) -> None:
        self.mode = mode
        self._articles: dict[tuple[str, str], str] = {}
        self._texts: list[tuple[str, str]] = []
        for passage in dataset.passages.values():
            law, article = passage.fields.get("law"), passage.fields.get("article")
            if law and article:
                self._articles.setdefault((normalize_law(law), article), passage.id)
            else:
                self._texts.append((passage.id, _squash(passage.text)))
        self._cache: dict[int, tuple[str, ...]] = {}

    def __call__(self, hit: Hit) -> tuple[str, ...]:
        doc_id = hit.citation.doc_id
        if self.mode != "e2e" and doc_id.startswith(PASSAGE_PREFIX):
            return (doc_id[len(PASSAGE_PREFIX):],)
        if self.mode == "passage":
            return ()
        if hit.chunk.id not in self._cache:
            self._cache[hit.chunk.id] = self._map_chunk(hit)
        return self._cache[hit.chunk.id]

    def _map_chunk(self, hit: Hit) -> tuple[str, ...]:
        """By law title + article number when the corpus has them; else by text containment."""
        article = next((m.group(1) for part in reversed(hit.citation.section_path) if (m := ARTICLE.match(part))),
                       None)
        if article is not None and self._articles:
            found = self._articles.get((normalize_law(hit.citation.title), article))
            return (found,) if found else ()
        text = _squash(hit.chunk.text)
        if len(text) < 8:
            return ()
        return tuple(pid for pid, ptext in self._texts if ptext and (ptext in text or text in ptext))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# -- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryResult:
    query_id: str
    ranked: tuple[str, ...]  # judged passage ids, best first, no repeats
    seconds: float


@dataclass(frozen=True)
class ConfigRun:
    """One configuration's results over a query set."""

    name: str
    description: str
    results: tuple[QueryResult, ...]
    unmapped_hits: int = 0

    def run_dict(self) -> dict[str, dict[str, float]]:
        """ranx run: scores that fall with rank so ties can never reorder our ranking."""
        return {r.query_id: {pid: float(len(r.ranked) - i) for i, pid in enumerate(r.ranked)} for r in self.results}

    def latencies_ms(self) -> list[float]:
        return [r.seconds * 1000 for r in self.results]


class QueryListener:
    """Progress while querying; the CLI shows it as a bar. No-ops here."""

    def started(self, name: str, total: int) -> None: ...

    def advanced(self) -> None: ...


def run_config(
    kb: KnowledgeBase,
    config: RetrievalConfig,
    queries: Sequence[Query],
    mapper: HitMapper,
    k: int = 100,
    listener: QueryListener | None = None,
) -> ConfigRun:
    """Search every query with `config` through kb.search and keep the top-k judged units."""
    listener = listener or QueryListener()
    params = config.settings(kb.settings).search_params()  # a value: the base's settings stay as they are
    # In end-to-end mode one unit may be cut into several chunks and some chunks map to nothing,
    # so more hits are fetched than units kept.
    depth = k if mapper.mode == "passage" else min(1000, 3 * k)
    results, unmapped = [], 0
    listener.started(config.name, len(queries))
    kb.search(queries[0].text, k=depth, mode=config.mode, params=params) if queries else None  # warm-up
    for query in queries:
        started = time.perf_counter()
        hits = kb.search(query.text, k=depth, mode=config.mode, params=params)
        seconds = time.perf_counter() - started
        ranked: dict[str, None] = {}
        for hit in hits:
            ids = mapper(hit)
            unmapped += not ids
            for pid in ids:
                ranked.setdefault(pid)
        results.append(QueryResult(query.id, tuple(ranked)[:k], seconds))
        listener.advanced()
    return ConfigRun(config.name, config.describe(), tuple(results), unmapped)


def run_ranker(
    name: str,
    description: str,
    rank: Callable[[str, int], list[str]],
    queries: Iterable[Query],
    k: int = 100,
    listener: QueryListener | None = None,
) -> ConfigRun:
    """Time a plain ranking function (a baseline) the same way as a configuration."""
    listener = listener or QueryListener()
    queries = list(queries)
    listener.started(name, len(queries))
    if queries:
        rank(queries[0].text, k)  # warm-up
    results = []
    for query in queries:
        started = time.perf_counter()
        ranked = rank(query.text, k)
        results.append(QueryResult(query.id, tuple(ranked[:k]), time.perf_counter() - started))
        listener.advanced()
    return ConfigRun(name, description, tuple(results))
