"""Metrics, significance and report files for retrieval runs; every metric comes from ranx.

ranx (Bassani, ECIR 2022) computes the TREC-style metrics and the paired tests; this module
only arranges its output: a Markdown table, a JSON file, one TREC run file per
configuration and two matplotlib plots (recall@k curves, per-query wins and losses).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from ranx import Qrels, Run, compare, evaluate

from eval.datasets import Dataset, split_queries
from eval.runner import ConfigRun

log = logging.getLogger(__name__)

METRICS = ("recall@1", "recall@5", "recall@10", "recall@20", "recall@100", "mrr@10", "ndcg@10", "map@100")
CURVE_KS = (1, 2, 3, 5, 10, 20, 30, 50, 100)
STAT_TEST = "student"  # paired two-sided t-test over per-query scores
MAX_P = 0.01


@dataclass(frozen=True)
class Evaluation:
    """Mean metrics, latency and pairwise p-values for the runs of one benchmark mode."""

    dataset: str
    split: str
    mode: str
    queries: int
    runs: tuple[ConfigRun, ...]
    scores: dict[str, dict[str, float]]  # run -> metric -> mean
    per_query: dict[str, dict[str, dict[str, float]]]  # run -> metric -> query -> score
    p_values: dict[str, dict[str, dict[str, float]]]  # run -> other run -> metric -> p
    win_tie_loss: dict[str, dict[str, dict[str, dict[str, int]]]]  # run -> other -> metric -> W/T/L

    def latency(self, name: str) -> tuple[float, float]:
        run = next(r for r in self.runs if r.name == name)
        values = np.array(run.latencies_ms()) if run.results else np.zeros(1)
        return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def _ranx_run(run: ConfigRun) -> Run:
    return Run(run.run_dict(), name=run.name)


def evaluate_runs(dataset: Dataset, mode: str, runs: Sequence[ConfigRun]) -> Evaluation:
    """Score `runs` on the judged queries they cover; one paired test per pair of runs and metric."""
    if not runs:
        raise ValueError("no runs to evaluate")
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"configuration names must be unique, got {names}")
    asked = {res.query_id for res in runs[0].results}
    ranx_qrels = Qrels({q: dict(j) for q, j in dataset.qrels.items() if q in asked}, name=dataset.name)
    ranx_runs = [_ranx_run(r) for r in runs]
    metrics = list(METRICS)
    per_query: dict[str, dict[str, dict[str, float]]] = {}
    for run in ranx_runs:
        evaluate(ranx_qrels, run, metrics, make_comparable=True)
        per_query[run.name] = {m: {q: float(s) for q, s in run.scores[m].items()} for m in metrics}
    if len(ranx_runs) > 1:
        report = compare(ranx_qrels, ranx_runs, metrics, stat_test=STAT_TEST, max_p=MAX_P,
                         make_comparable=True, rounding_digits=4).to_dict()
        scores = {n: {m: float(v) for m, v in report[n]["scores"].items()} for n in names}
        p_values = {n: {o: {m: float(p) for m, p in ps.items()} for o, ps in report[n]["comparisons"].items()}
                    for n in names}
        wtl = {n: report[n]["win_tie_loss"] for n in names}
    else:
        scores = {names[0]: {m: float(np.mean(list(per_query[names[0]][m].values()))) for m in metrics}}
        p_values, wtl = {names[0]: {}}, {names[0]: {}}
    return Evaluation(dataset.name, dataset.split, mode, len(ranx_qrels.keys()), tuple(runs), scores, per_query,
                      p_values, wtl)


def recall_curve(evaluation: Evaluation, name: str, qrels: dict[str, dict[str, int]]) -> list[float]:
    """Mean recall@k at CURVE_KS for one run (computed by ranx)."""
    run = next(r for r in evaluation.runs if r.name == name)
    asked = {res.query_id for res in run.results}
    ranx_qrels = Qrels({q: dict(j) for q, j in qrels.items() if q in asked})
    values = evaluate(ranx_qrels, _ranx_run(run), [f"recall@{k}" for k in CURVE_KS], make_comparable=True)
    return [float(values[f"recall@{k}"]) for k in CURVE_KS]


OVERLAP_BUCKETS = ((0.0, 0.25, "low"), (0.25, 0.5, "medium"), (0.5, 1.01, "high"))


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum()]
    return {a + b for a, b in pairwise(chars)}


def lexical_overlap(dataset: Dataset, query_text: str, query_id: str) -> float:
    """Share of the question's character bigrams that occur in its relevant passages.

    Low overlap marks colloquial questions (老板不给工资 against 拖欠劳动报酬): what a
    lexical retriever cannot match by words alone.
    """
    grams = _bigrams(query_text)
    relevant = "".join(dataset.passages[p].text for p, g in dataset.qrels.get(query_id, {}).items() if g > 0)
    return len(grams & _bigrams(relevant)) / len(grams) if grams else 0.0


def split_table(evaluation: Evaluation, dataset: Dataset, tune_share: float) -> str:
    """Recall@100 and nDCG@10 per run on the fixed tune part and on the confirm part of the questions."""
    tune, confirm = split_queries(dataset.queries, tune_share)
    parts = [("tune", {q.id for q in tune}), ("confirm", {q.id for q in confirm})]
    head = ["configuration", *(f"{name} ({len(ids & set(evaluation.per_query[evaluation.runs[0].name]['ndcg@10']))})"
                               f" R@100 / nDCG@10" for name, ids in parts)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(parts)]
    for run in evaluation.runs:
        scores = evaluation.per_query[run.name]
        cells = [f"`{run.name}`"]
        for _, ids in parts:
            asked = [q for q in scores["ndcg@10"] if q in ids]
            cells.append(f"{np.mean([scores['recall@100'][q] for q in asked]):.3f} / "
                         f"{np.mean([scores['ndcg@10'][q] for q in asked]):.3f}" if asked else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def overlap_table(evaluation: Evaluation, dataset: Dataset) -> str:
    """Recall@100 and nDCG@10 per run for questions of low, medium and high word overlap."""
    texts = {q.id: q.text for q in dataset.queries}
    overlap = {q: lexical_overlap(dataset, texts[q], q) for q in evaluation.per_query[evaluation.runs[0].name]["recall@100"]}
    head = ["question overlap with its articles", "queries", *(f"`{r.name}` R@100 / nDCG@10" for r in evaluation.runs)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for low, high, label in OVERLAP_BUCKETS:
        ids = [q for q, v in overlap.items() if low <= v < high]
        cells = [f"{label} ({low:.2f}–{min(high, 1):.2f})", str(len(ids))]
        for run in evaluation.runs:
            scores = evaluation.per_query[run.name]
            if ids:
                cells.append(f"{np.mean([scores['recall@100'][q] for q in ids]):.3f} / "
                             f"{np.mean([scores['ndcg@10'][q] for q in ids]):.3f}")
            else:
                cells.append("–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- writing -------------------------------------------------------------------------------------


def markdown_table(evaluation: Evaluation) -> str:
    """One row per run: metrics, latency; letters mark runs this one beats at p < MAX_P on that metric."""
    letters = {run.name: chr(ord("a") + i) for i, run in enumerate(evaluation.runs)}
    head = ["", "configuration", *METRICS, "p50 ms", "p95 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(METRICS) + 2)]
    for run in evaluation.runs:
        cells = [letters[run.name], f"`{run.name}`"]
        for metric in METRICS:
            value = evaluation.scores[run.name][metric]
            beaten = [
                letters[other]
                for other, ps in evaluation.p_values[run.name].items()
                if ps[metric] < MAX_P and value > evaluation.scores[other][metric]
            ]
            cells.append(f"{value:.3f}" + (f"<sup>{''.join(sorted(beaten))}</sup>" if beaten else ""))
        p50, p95 = evaluation.latency(run.name)
        cells += [f"{p50:.1f}", f"{p95:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_json(evaluation: Evaluation, extra: dict | None = None) -> dict:
    return {
        "dataset": evaluation.dataset,
        "split": evaluation.split,
        "mode": evaluation.mode,
        "queries": evaluation.queries,
        "metrics": list(METRICS),
        "stat_test": f"{STAT_TEST} (paired), max_p={MAX_P}",
        "runs": {
            run.name: {
                "configuration": run.description,
                "scores": evaluation.scores[run.name],
                "latency_ms": dict(zip(("p50", "p95"), evaluation.latency(run.name))),
                "unmapped_hits": run.unmapped_hits,
                "p_values": evaluation.p_values[run.name],
                "win_tie_loss": evaluation.win_tie_loss[run.name],
            }
            for run in evaluation.runs
        },
        **(extra or {}),
    }


def write_trec(run: ConfigRun, path: Path) -> None:
    """The run in TREC format (`qid Q0 docid rank score tag`), written atomically."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.writelines(
            f"{result.query_id} Q0 {pid} {rank} {len(result.ranked) - rank + 1} {run.name}\n"
            for result in run.results
            for rank, pid in enumerate(result.ranked, 1)
        )
    os.replace(tmp, path)


def plot_recall(evaluation: Evaluation, qrels: dict[str, dict[str, int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for run in evaluation.runs:
        ax.plot(CURVE_KS, recall_curve(evaluation, run.name, qrels), marker="o", markersize=3, label=run.name)
    ax.set_xscale("log")
    ax.set_xticks(CURVE_KS, [str(k) for k in CURVE_KS])
    ax.set_xlabel("k")
    ax.set_ylabel("mean recall@k")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{evaluation.dataset} ({evaluation.split}, {evaluation.mode}, {evaluation.queries} queries)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_wins(evaluation: Evaluation, reference: str, path: Path, metric: str = "ndcg@10") -> None:
    """Per-query wins, ties and losses of every run against `reference` on `metric`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [r.name for r in evaluation.runs if r.name != reference]
    base = evaluation.per_query[reference][metric]
    wins, ties, losses = [], [], []
    for name in others:
        scores = evaluation.per_query[name][metric]
        diffs = np.array([scores.get(q, 0.0) - s for q, s in base.items()])
        wins.append(int((diffs > 1e-9).sum()))
        losses.append(int((diffs < -1e-9).sum()))
        ties.append(len(diffs) - wins[-1] - losses[-1])
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(others) + 1.6), dpi=120)
    y = np.arange(len(others))
    ax.barh(y, wins, color="#2e7d32", label="wins")
    ax.barh(y, ties, left=wins, color="#bdbdbd", label="ties")
    ax.barh(y, losses, left=np.add(wins, ties), color="#c62828", label="losses")
    ax.set_yticks(y, others)
    ax.invert_yaxis()
    ax.set_xlabel(f"queries: {metric} better / equal / worse than {reference}")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(
    evaluation: Evaluation, dataset: Dataset, out: Path, extra: dict | None = None,
    tune_share: float | None = None,
) -> list[Path]:
    """Write report.md, report.json, runs/<name>.trec and the two PNGs into `out`; returns the paths.

    Wins and losses are counted against the first run (the first baseline when there is one).
    """
    reference = evaluation.runs[0].name
    out.mkdir(parents=True, exist_ok=True)
    (out / "runs").mkdir(exist_ok=True)
    written = []
    for run in evaluation.runs:
        path = out / "runs" / f"{_safe(run.name)}.trec"
        write_trec(run, path)
        written.append(path)
    plot_recall(evaluation, dataset.qrels, out / "recall_at_k.png")
    written.append(out / "recall_at_k.png")
    if len(evaluation.runs) > 1:
        plot_wins(evaluation, reference, out / "wins_losses.png")
        written.append(out / "wins_losses.png")
    data = to_json(evaluation, extra)
    _write_text(out / "report.json", json.dumps(data, ensure_ascii=False, indent=2))
    written.append(out / "report.json")
    lines = [f"# {evaluation.dataset} · {evaluation.split} · {evaluation.mode} mode", "",
             (f"{evaluation.queries} judged queries. Superscripts: better than that row at p < {MAX_P} "
              f"({STAT_TEST} paired t-test, ranx)."), "", markdown_table(evaluation), ""]
    for run in evaluation.runs:
        lines.append(f"- `{run.name}`: {run.description}"
                     + (f"; {run.unmapped_hits} hits mapped to no judged unit" if run.unmapped_hits else ""))
    lines += ["", "By how many of the question's words its articles share (colloquial questions are low):", "",
              overlap_table(evaluation, dataset), ""]
    if tune_share is not None:
        lines += [f"On the fixed tune part ({tune_share:.0%} of the questions, by id hash) and the rest:", "",
                  split_table(evaluation, dataset, tune_share), ""]
    lines += ["", "![recall@k](recall_at_k.png)"]
    if len(evaluation.runs) > 1:
        lines.append(f"![wins and losses against {reference}](wins_losses.png)")
    _write_text(out / "report.md", "\n".join(lines) + "\n")
    written.append(out / "report.md")
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
