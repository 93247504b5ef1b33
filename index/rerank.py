"""Rerank stages applied to a fused candidate list before the top k are cut."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.types import ScoredIds


def document_rerank(ranked: ScoredIds, groups: Sequence[str], weight: float, top_m: int = 3) -> ScoredIds:
    """Add the evidence of a passage's whole document to its own score.

    score'(p) = (1 - w) * s(p) + w * D(doc(p)) / max D, where s is the min-max normalised
    candidate score and D(d) is the mean of the best `top_m` normalised scores among d's
    candidates (absent ones count 0). A passage from a document that several candidates
    point at rises above an equally scored stray: mixing passage and document evidence as in
    Callan, "Passage-level evidence in document retrieval", SIGIR 1994, turned around to rank
    passages. For laws the group is the law title, so articles of the law a question is
    about come first. Ties keep the incoming order.
    """
    if len(groups) != len(ranked.ids):
        raise ValueError("one group per candidate is needed")
    if not 0 <= weight <= 1:
        raise ValueError(f"the rerank weight must be between 0 and 1, got {weight}")
    if top_m < 1:
        raise ValueError("top_m must be at least 1")
    if not len(ranked.ids):
        return ranked
    scores = ranked.scores.astype(np.float64)
    low, high = float(scores.min()), float(scores.max())
    own = (scores - low) / (high - low) if high > low else np.ones_like(scores)
    best: dict[str, list[float]] = {}
    for group, value in zip(groups, own.tolist()):
        best.setdefault(group, [])
        if len(best[group]) < top_m:  # candidates arrive best first
            best[group].append(value)
    strength = {group: sum(values) / top_m for group, values in best.items()}
    top = max(strength.values()) or 1.0
    combined = (1 - weight) * own + weight * np.array([strength[g] / top for g in groups])
    order = np.argsort(-combined, kind="stable")
    return ScoredIds(ranked.ids[order], combined[order])
