"""`policykb eval retrieval`: one command from a BEIR folder to report files.

For each requested mode (passage, e2e) it opens the cached base, runs the baselines and
every configuration over the same queries, scores them with ranx and writes
<out>/<mode>/{report.md, report.json, runs/*.trec, *.png}.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings, bundled_model_path
from eval.baselines import FlatDenseBaseline, RankBM25Baseline
from eval.datasets import Dataset, Query, split_queries
from eval.report import Evaluation, evaluate_runs, write_report
from eval.runner import (
    BASELINES,
    ConfigRun,
    HitMapper,
    QueryListener,
    RetrievalConfig,
    open_base,
    run_config,
    run_ranker,
)
from index.kb import IngestListener
from index.types import Embedder

log = logging.getLogger(__name__)

TUNE_SHARE = 0.3  # the fixed share of questions (by id hash) that tuning may look at


@dataclass(frozen=True)
class BenchmarkPlan:
    """Everything one evaluation run needs; built by the CLI from its options."""

    dataset: Dataset
    modes: tuple[str, ...]
    configs: tuple[RetrievalConfig, ...]
    baselines: tuple[str, ...]
    out: Path
    cache_dir: Path
    docs: Path | None = None
    subset: str = "all"  # all | tune | confirm
    k: int = 100

    def queries(self):
        if self.subset == "all":
            return self.dataset.queries
        tune, confirm = split_queries(self.dataset.queries, TUNE_SHARE)
        if self.subset == "tune":
            return tune
        if self.subset == "confirm":
            return confirm
        raise ValueError(f"unknown query subset {self.subset!r}; use all, tune or confirm")


class BenchmarkListener(IngestListener, QueryListener):
    """Progress for building bases, the baselines' preparation, and querying."""

    def stage(self, text: str) -> None: ...

    def prepared(self, count: int) -> None: ...


def run_benchmark(
    plan: BenchmarkPlan,
    settings: Settings,
    listener: BenchmarkListener | None = None,
    embedder: Embedder | None = None,
) -> dict[str, Evaluation]:
    """Run the plan; returns the evaluation per mode (the report files are written too)."""
    listener = listener or BenchmarkListener()
    unknown = [b for b in plan.baselines if b not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; choose from {list(BASELINES)}")
    if not plan.configs and not plan.baselines:
        raise ValueError("nothing to run: give at least one configuration or baseline")
    queries = plan.queries()
    if not queries:
        raise ValueError("no judged queries to run")
    baseline_runs = _run_baselines(plan, queries, settings, listener, embedder) if plan.baselines else []
    evaluations = {}
    for mode in plan.modes:
        listener.stage(f"{mode}: opening the base")
        kb, _ = open_base(plan.dataset, mode, settings, plan.cache_dir, plan.docs, listener, embedder)
        try:
            mapper = HitMapper(plan.dataset, mode)
            runs = list(baseline_runs)
            for config in plan.configs:
                listener.stage(f"{mode}: {config.name}")
                runs.append(run_config(kb, config, queries, mapper, plan.k, listener))
            chunks = kb.stats()["chunks"]
        finally:
            kb.close()
        evaluation = evaluate_runs(plan.dataset, mode, runs)
        write_report(
            evaluation, plan.dataset, plan.out / mode,
            extra={"subset": plan.subset, "k": plan.k, "indexed_chunks": chunks,
                   "docs": str(plan.docs) if mode == "e2e" else None},
            tune_share=TUNE_SHARE if plan.subset == "all" else None,
        )
        evaluations[mode] = evaluation
    return evaluations


def _run_baselines(
    plan: BenchmarkPlan,
    queries: tuple[Query, ...],
    settings: Settings,
    listener: BenchmarkListener,
    embedder: Embedder | None,
) -> list[ConfigRun]:
    """The reference retrievers over the corpus passages, identical for every mode.

    The dense one reads its vectors through the passage base's embedding cache: same model,
    same text, so nothing is encoded twice. It is always the bundled m3e-small, whatever
    model the configurations run with (a tuned one, say), so the baseline stays a baseline.
    """
    passages = list(plan.dataset.passages.values())
    listener.stage("passage: opening the base (baselines)")
    plain = bundled_model_path()
    if plain is not None and embedder is None:
        settings = settings.model_copy(update={"embedding_model": str(plain)})
    kb, _ = open_base(plan.dataset, "passage", settings, plan.cache_dir, None, listener, embedder)
    try:
        return _baseline_runs(plan, passages, queries, kb, listener)
    finally:
        kb.close()


def _baseline_runs(plan, passages, queries, kb, listener) -> list[ConfigRun]:
    runs = []
    for name in plan.baselines:
        listener.stage(f"baseline {name}: preparing")
        if name == "rank_bm25":
            ranker = RankBM25Baseline(passages, listener.prepared)
            description = "rank_bm25 BM25Okapi over jieba.lcut tokens (title + text)"
        else:
            ranker = FlatDenseBaseline(passages, kb.embedder, listener.prepared)
            description = f"{kb.embedder.model_id} + FAISS IndexFlatIP, no fusion (title + text)"
        runs.append(run_ranker(name, description, ranker.rank, queries, plan.k, listener))
    return runs
