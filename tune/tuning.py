"""`policykb tune`: adapt the embedding model to a base's judged questions, and say honestly whether it helped.

1. The judged questions are split into training and validation questions by a fixed seed
   before anything is trained (or the validation questions come from their own file).
2. Training pairs are mined from the base for the training questions only (tune.pairs).
3. The model the base is configured with is fine-tuned on CPU (tune.training) and saved
   under <kb>/models/<name>/; the original files are only ever read.
4. Both models search the whole base (the tuned one encodes it once, into the embedding
   cache that `reindex --model` then reuses) for the validation questions only, through
   the same `search()` and ranx metrics as `policykb eval retrieval`.
5. The model counts as better only when hybrid search with it beats the original on the
   validation questions in nDCG@10 without losing Recall@100. The record says which, and
   `reindex` refuses a model that is not better unless forced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from eval.datasets import Dataset, Query, load_judgements
from eval.report import Evaluation, evaluate_runs
from eval.runner import HitMapper, parse_config, run_config
from index.embed import model_fingerprint
from index.kb import IngestListener, KnowledgeBase
from index.models import RECORD, NamedModel, check_name, models_dir
from tune.pairs import mine_pairs
from tune.training import TrainingOptions, estimate_seconds, fine_tune, load_model

log = logging.getLogger(__name__)

EVAL_CONFIGS = ("dense", "hybrid-convex+doc")  # dense shows the model alone; hybrid is what users get
DECIDING_CONFIG = "hybrid-convex+doc"


@dataclass(frozen=True)
class TuneRequest:
    name: str
    queries: Path
    qrels: Path
    corpus: Path | None = None  # default: corpus.jsonl next to the queries file
    validation: Path | None = None  # qrels of held-out questions; default: a seeded share of `qrels`
    validation_share: float = 0.2
    split_seed: int = 42
    negatives_depth: int = 30
    options: TrainingOptions = field(default_factory=TrainingOptions)
    overwrite: bool = False
    k: int = 100

    def __post_init__(self) -> None:
        check_name(self.name)
        if not 0 < self.validation_share < 1:
            raise ValueError("the validation share must be between 0 and 1")


class TuneListener(IngestListener):
    """Progress of a tune run; the CLI shows stages, bars and the time estimate. No-ops here."""

    def stage(self, text: str) -> None: ...

    def mining(self, questions: int) -> None:
        """Pairs are about to be mined for `questions` training questions."""

    def mined(self) -> None:
        """One more training question had its pairs mined."""

    def estimated(self, seconds: float, steps: int, pairs: int) -> None:
        """Training is about to start and should take about `seconds`."""

    def step(self, done: int, total: int) -> None: ...

    def started(self, name: str, total: int) -> None:
        """Validation queries of one configuration are about to run."""

    def advanced(self) -> None: ...


@dataclass(frozen=True)
class TuneResult:
    model: NamedModel
    evaluation: Evaluation
    better: bool
    reason: str


def split_for_validation(
    queries: Sequence[Query], share: float, seed: int
) -> tuple[tuple[Query, ...], tuple[Query, ...]]:
    """Training and validation questions: a seeded shuffle of the ids, the last `share` held out."""
    ordered = sorted(queries, key=lambda q: q.id)
    random.Random(seed).shuffle(ordered)
    held = max(1, round(len(ordered) * share))
    validation = {q.id for q in ordered[-held:]}
    return tuple(q for q in queries if q.id not in validation), tuple(q for q in queries if q.id in validation)


def _subset(dataset: Dataset, queries: Sequence[Query]) -> Dataset:
    ids = {q.id for q in queries}
    return replace(dataset, queries=tuple(queries), qrels={q: j for q, j in dataset.qrels.items() if q in ids})


def _datasets(request: TuneRequest) -> tuple[Dataset, Dataset]:
    dataset = load_judgements(request.queries, request.qrels, request.corpus)
    if request.validation is not None:
        held = load_judgements(request.queries, request.validation, request.corpus)
        held_ids = {q.id for q in held.queries}
        train = _subset(dataset, [q for q in dataset.queries if q.id not in held_ids])
        validation = held
    else:
        train_q, val_q = split_for_validation(dataset.queries, request.validation_share, request.split_seed)
        train, validation = _subset(dataset, train_q), _subset(dataset, val_q)
    if len(train.queries) < 2:
        raise ValueError(f"only {len(train.queries)} training questions with a relevant passage; tuning needs more")
    if not validation.queries:
        raise ValueError("no validation questions: give --validation or more judged questions")
    return train, validation


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def write_qrels(path: Path, dataset: Dataset) -> None:
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"{q.id}\t{pid}\t{grade}" for q in dataset.queries for pid, grade in dataset.qrels[q.id].items()]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def run_tune(kb: KnowledgeBase, request: TuneRequest, listener: TuneListener | None = None) -> TuneResult:
    """Split, mine, train, evaluate and record; see the module docstring."""
    listener = listener or TuneListener()
    folder = models_dir(kb.dir) / request.name
    if folder.exists() and not request.overwrite:
        raise ValueError(f"a model named {request.name!r} exists in {folder.parent}; choose another name or overwrite")
    if not kb.store.chunk_ids().size:
        raise ValueError("the base is empty: ingest the documents the questions are about first")
    train, validation = _datasets(request)
    original = kb.settings.model_path()

    listener.mining(len(train.queries))
    pairs = mine_pairs(kb, train, train.queries, request.negatives_depth, request.split_seed, listener.mined)
    model = load_model(original)
    seconds = estimate_seconds(model, pairs, request.options)
    listener.estimated(seconds, request.options.steps(len(pairs)), len(pairs))

    if folder.exists():
        shutil.rmtree(folder)
    work = models_dir(kb.dir) / f".work-{request.name}"
    started = time.perf_counter()
    try:
        losses = fine_tune(model, pairs, request.options, work, listener.step)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    trained_seconds = time.perf_counter() - started
    model.save(str(folder))
    write_qrels(folder / "train-qrels.tsv", train)
    write_qrels(folder / "validation-qrels.tsv", validation)

    evaluation = evaluate_models(kb, validation, {"original": original, "tuned": folder}, request.k, listener)
    better, reason = judge(evaluation)
    record = {
        "name": request.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": str(original),
        "base_model_id": model_fingerprint(original),
        "training_data": {
            "queries": str(request.queries.resolve()),
            "qrels": str(request.qrels.resolve()),
            "corpus": str((request.corpus or request.queries.parent / "corpus.jsonl").resolve()),
            "validation": str(request.validation.resolve()) if request.validation else None,
            "qrels_sha256": _file_digest(request.qrels),
            "split": {"share": request.validation_share, "seed": request.split_seed}
            if request.validation is None else None,
            "train_questions": len(train.queries),
            "validation_questions": len(validation.queries),
            "pairs": len(pairs),
            "pairs_with_mined_negative": sum(bool(p.negative) for p in pairs),
            "negatives_depth": request.negatives_depth,
            "train_qrels": "train-qrels.tsv",
            "validation_qrels": "validation-qrels.tsv",
        },
        "options": request.options.as_dict(),
        "training_seconds": round(trained_seconds, 1),
        "estimated_seconds": round(seconds, 1),
        "losses": losses,
        "evaluation": {name: {m: round(v, 4) for m, v in scores.items()} for name, scores in evaluation.scores.items()},
        "better": better,
        "reason": reason,
    }
    staging = folder / f"{RECORD}.tmp"
    staging.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(staging, folder / RECORD)
    return TuneResult(NamedModel(request.name, folder, record), evaluation, better, reason)


def evaluate_models(
    kb: KnowledgeBase, dataset: Dataset, models: dict[str, Path], k: int, listener: TuneListener
) -> Evaluation:
    """Run EVAL_CONFIGS with each model over the whole base for `dataset`'s questions only."""
    # A base of benchmark passages is scored exactly as `eval retrieval` scores passage mode.
    passages_only = all(d.kind == "passage" for d in kb.documents())
    mapper = HitMapper(dataset, "passage" if passages_only else "auto")
    runs = []
    for label, folder in models.items():
        listener.stage(f"encoding the base with the {label} model")
        kb.build_dense(folder, listener)
        with KnowledgeBase(kb.settings.model_copy(update={"embedding_model": str(folder)})) as other:
            for config_name in EVAL_CONFIGS:
                config = replace(parse_config(config_name), name=f"{label}/{config_name}")
                listener.stage(f"validation: {config.name}")
                runs.append(run_config(other, config, dataset.queries, mapper, k, listener))
    return evaluate_runs(dataset, "validation", runs)


def judge(evaluation: Evaluation) -> tuple[bool, str]:
    """Better = hybrid nDCG@10 up and Recall@100 not down on the validation questions."""
    before = evaluation.scores[f"original/{DECIDING_CONFIG}"]
    after = evaluation.scores[f"tuned/{DECIDING_CONFIG}"]
    gain, recall = after["ndcg@10"] - before["ndcg@10"], after["recall@100"] - before["recall@100"]
    summary = (f"hybrid nDCG@10 {before['ndcg@10']:.3f} -> {after['ndcg@10']:.3f}, "
               f"Recall@100 {before['recall@100']:.3f} -> {after['recall@100']:.3f}")
    if gain > 0 and recall >= 0:
        return True, f"better on the validation questions: {summary}"
    return False, f"not better on the validation questions: {summary}"
