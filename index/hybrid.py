"""Fusion of ranked lists from several retrievers."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from index.types import ScoredIds


def reciprocal_rank_fusion(rankings: Sequence[ScoredIds], weights: Sequence[float], k: int = 60) -> ScoredIds:
    """Weighted reciprocal-rank fusion: score(d) = sum_i w_i / (k + rank_i(d)), ranks from 1.

    Cormack, Clarke and Buettcher, "Reciprocal rank fusion outperforms Condorcet and
    individual rank learning methods", SIGIR 2009. Only ranks are used, so BM25 and cosine
    scores need no calibration against each other. Ties are broken by chunk id.
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking is needed")
    if k < 1:
        raise ValueError("the RRF constant k must be at least 1")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, chunk_id in enumerate(ranking.ids.tolist(), start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    if not fused:
        return ScoredIds()
    ordered = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    ids = np.array([chunk_id for chunk_id, _ in ordered], dtype=np.int64)
    scores = np.array([score for _, score in ordered], dtype=np.float64)
    return ScoredIds(ids, scores)


# The lowest score each retriever can give, for `convex_fusion`'s `minimums`: BM25 is a sum of
# non-negative term weights (bm25s's idf is log(1 + ...)), dense search an inner product of unit
# vectors, that is a cosine.
BM25_MINIMUM = 0.0
COSINE_MINIMUM = -1.0


def convex_fusion(
    rankings: Sequence[ScoredIds], weights: Sequence[float], minimums: Sequence[float | None] | None = None
) -> ScoredIds:
    """Weighted sum of normalised scores: score(d) = sum_i w_i * (s_i(d) - m_i) / (max_i - m_i).

    Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS
    2023, find this convex combination at least as good as RRF and less sensitive to its one
    parameter. Unlike RRF it keeps how far apart the scores are, so a passage one retriever
    is sure of is not outvoted by a near-tie in the other. A document missing from a list
    scores 0 there. Ties are broken by chunk id.

    m_i is the lowest score in list i (min-max) unless `minimums` gives the lowest score the
    retriever can give (the paper's theoretical min-max, TM2C2; BM25_MINIMUM, COSINE_MINIMUM).
    Min-max scores the last hit of every list 0, however good it is: of a rare term's two BM25
    matches the second then counts for nothing, as if BM25 had not found it. Under theoretical
    min-max a hit keeps its share of the best score. None in `minimums` keeps min-max for that
    list; a score below its given minimum is taken as the minimum.
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking is needed")
    if minimums is not None and len(minimums) != len(rankings):
        raise ValueError("one minimum (or None) per ranking is needed")
    fused: dict[int, float] = {}
    for i, (ranking, weight) in enumerate(zip(rankings, weights)):
        if not len(ranking.ids):
            continue
        scores = ranking.scores.astype(np.float64)
        floor = None if minimums is None else minimums[i]
        high = float(scores.max())
        if floor is None:
            low = float(scores.min())
            normalised = (scores - low) / (high - low) if high > low else np.ones_like(scores)
        else:
            scores = np.maximum(scores, floor)
            normalised = (scores - floor) / (high - floor) if high > floor else np.zeros_like(scores)
        for chunk_id, value in zip(ranking.ids.tolist(), normalised.tolist()):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * value
    if not fused:
        return ScoredIds()
    ordered = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    return ScoredIds(
        np.array([chunk_id for chunk_id, _ in ordered], dtype=np.int64),
        np.array([score for _, score in ordered], dtype=np.float64),
    )


def diversify_by_group(groups: Sequence[Hashable], close: Sequence[bool], k: int, share: float) -> list[int]:
    """A page of `k` results from a ranked list: the positions (into the list) it shows, in order.

    Close results come before weak ones. Within each tier one group (the rows of one table, the
    passages of one section) fills at most ceil(k x share) places while results of other groups
    are left in the tier, and only then the rest: a plain cap, in the spirit of proportional
    diversification (Dang and Croft, "Diversity by proportionality", SIGIR 2012) without its
    model of query aspects. Each tier keeps its rank order, so a page whose
    groups are all under quota is the ranking itself.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    if len(groups) != len(close):
        raise ValueError("one closeness flag per result is needed")
    cap = max(1, math.ceil(k * share))
    counts: dict[Hashable, int] = {}
    page: list[int] = []
    for tier in ([i for i, c in enumerate(close) if c], [i for i, c in enumerate(close) if not c]):
        taken, deferred = [], []
        for i in tier:
            if len(page) + len(taken) == k:
                break
            if counts.get(groups[i], 0) < cap:
                counts[groups[i]] = counts.get(groups[i], 0) + 1
                taken.append(i)
            else:
                deferred.append(i)
        room = k - len(page) - len(taken)
        page += sorted(taken + deferred[:room])
        for i in deferred[:room]:
            counts[groups[i]] += 1
        if len(page) == k:
            break
    return page
