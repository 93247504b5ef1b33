"""Ingest throughput and search latency of a knowledge base, measured with the public API."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.kb import IngestListener, KnowledgeBase
from index.lexical import BM25Retriever
from index.types import FileStatus, SearchMode


def load_queries(path: Path, limit: int | None = None) -> list[str]:
    """Question texts from a JSONL file with a "text" field per line (BEIR queries.jsonl works)."""
    if not path.is_file():
        raise ValueError(f"query file not found: {path}")
    queries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    queries.append(json.loads(line)["text"])
                except (json.JSONDecodeError, KeyError) as error:
                    raise ValueError(f"{path}:{number}: expected a JSON object with a 'text' field") from error
    return queries[:limit] if limit else queries


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"


@dataclass(frozen=True)
class Latency:
    mode: str
    queries: int
    p50_ms: float
    p95_ms: float
    mean_ms: float


def measure_search(kb: KnowledgeBase, queries: Sequence[str], k: int = 10, rounds: int = 1) -> list[Latency]:
    """Time kb.search for every mode over `queries` (after one warm-up query per mode)."""
    if not queries:
        raise ValueError("no queries to time")
    out = []
    for mode in SearchMode:
        kb.search(queries[0], k=k, mode=mode)
        times = []
        for _ in range(rounds):
            for query in queries:
                began = time.perf_counter()
                kb.search(query, k=k, mode=mode)
                times.append((time.perf_counter() - began) * 1000)
        values = np.array(times)
        out.append(
            Latency(mode.value, len(values), float(np.percentile(values, 50)),
                    float(np.percentile(values, 95)), float(values.mean()))
        )
    return out


def pick_files(kb: KnowledgeBase, paths: Sequence[Path], limit: int | None) -> list[Path]:
    """The files an ingest of `paths` would read, the first `limit` of them in sorted order."""
    files = kb.discover(paths)
    return files[:limit] if limit else files


def run(
    kb: KnowledgeBase,
    paths: Sequence[Path],
    queries: Sequence[str],
    limit_files: int | None = None,
    k: int = 10,
    listener: IngestListener | None = None,
) -> dict:
    """Ingest `paths` (or their first files) into a fresh base, then time searches; returns the figures."""
    if kb.stats()["documents"]:
        raise ValueError(f"the benchmark needs an empty knowledge base; {kb.dir} holds documents (use --kb)")
    files = pick_files(kb, paths, limit_files)
    began = time.perf_counter()
    kb.embedder.encode_queries(["预热"])  # load the model outside the timed ingest
    model_load = time.perf_counter() - began
    report = kb.ingest(files, listener)
    latencies = measure_search(kb, queries, k=k)
    return {
        **_measure_ingest_run(kb, files, report, model_load),
        "lexical": measure_lexical(kb),
        "latency": [vars(lat) for lat in latencies],
    }


def measure_lexical(kb: KnowledgeBase) -> dict[str, float]:
    """Cost of the BM25 side: tokenising every stored chunk, rebuilding the matrix, reopening."""
    texts = kb.store.lexical_texts(kb.store.chunk_ids().tolist())
    began = time.perf_counter()
    for text in texts:
        kb.tokenizer.tokenize(text)
    tokenize = time.perf_counter() - began
    began = time.perf_counter()
    if isinstance(kb.lexical, BM25Retriever):  # the in-process index; an engine builds its own
        kb.lexical.rebuild()
    rebuild = time.perf_counter() - began
    began = time.perf_counter()
    KnowledgeBase(kb.settings, embedder=kb.embedder.inner).close()
    reopen = time.perf_counter() - began
    chars = sum(len(t) for t in texts)
    return {
        "characters": chars,
        "tokenize_seconds": round(tokenize, 3),
        "tokenize_chars_per_second": round(chars / tokenize) if tokenize else 0,
        "bm25_rebuild_seconds": round(rebuild, 3),
        "open_seconds": round(reopen, 3),
    }


def _measure_ingest_run(kb: KnowledgeBase, files: Sequence[Path], report, model_load: float) -> dict:
    return {
        "machine": machine(),
        "files": len(files),
        "documents": kb.stats()["documents"],
        "chunks": report.chunks,
        "encoded": report.encoded,
        "model_load_seconds": round(model_load, 2),
        "ingest_seconds": round(report.seconds, 2),
        "chunks_per_second": round(report.chunks / report.seconds, 2) if report.seconds else None,
        "failed": report.count(FileStatus.failed),
    }


def markdown(result: dict) -> str:
    lines = [
        f"- machine: {result['machine']}",
        f"- model loaded in {result['model_load_seconds']} s (not counted below)",
        f"- ingested {result['files']} files → {result['chunks']} chunks in {result['ingest_seconds']} s "
        f"= **{result['chunks_per_second']} chunks/s** ({result['encoded']} passages encoded, "
        f"{result['failed']} files failed)",
        "",
        "| mode | queries | p50 ms | p95 ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for lat in result["latency"]:
        lines.append(
            f"| {lat['mode']} | {lat['queries']} | {lat['p50_ms']:.1f} | {lat['p95_ms']:.1f} | {lat['mean_ms']:.1f} |"
        )
    lex = result["lexical"]
    lines += [
        "",
        f"- lexical: jieba tokenisation of all chunks ({lex['characters']} chars) {lex['tokenize_seconds']} s "
        f"({lex['tokenize_chars_per_second']} chars/s); bm25s rebuild {lex['bm25_rebuild_seconds']} s; "
        f"opening the base {lex['open_seconds']} s",
    ]
    return "\n".join(lines)
