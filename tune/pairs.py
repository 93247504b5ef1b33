"""Training pairs for adapting the embedding model: (question, relevant passage, hard negative).

The relevant passages come from the judgements. The hard negative of each pair is a
passage the base itself ranks high for the question (by BM25 or by the current dense
model) that is not judged relevant; a passage judged irrelevant (grade 0, e.g. from an
answer a user marked unhelpful) is preferred, as it is a known mistake. Such negatives
teach the model what in-batch negatives alone cannot: which near-misses to push away
(Karpukhin et al., "Dense Passage Retrieval", EMNLP 2020).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.datasets import Dataset, Query
from eval.runner import HitMapper
from index.kb import KnowledgeBase
from index.types import SearchMode


@dataclass(frozen=True)
class TrainingPair:
    query_id: str
    query: str
    positive: str
    negative: str  # empty when the base offered no usable negative


def mine_pairs(
    kb: KnowledgeBase,
    dataset: Dataset,
    queries: Sequence[Query],
    depth: int = 30,
    seed: int = 42,
    on_query: Callable[[], None] | None = None,
) -> list[TrainingPair]:
    """One pair per judged-relevant passage of each query, with a negative mined from `kb`.

    Candidates are the top `depth` BM25 and dense hits, interleaved; the negative is drawn
    at random (fixed seed) among them, judged-irrelevant ones first.
    """
    mapper = HitMapper(dataset, "auto")
    rng = random.Random(seed)
    pairs = []
    for query in queries:
        judged = dataset.qrels.get(query.id, {})
        relevant = [pid for pid, grade in judged.items() if grade > 0]
        positives = [dataset.passages[pid].indexed_text for pid in relevant]
        known_bad = [dataset.passages[pid].indexed_text for pid, grade in judged.items() if grade <= 0]
        candidates = _negatives(kb, query.text, depth, mapper, set(relevant), set(positives))
        for positive in positives:
            pool = known_bad or candidates
            pairs.append(TrainingPair(query.id, query.text, positive, rng.choice(pool) if pool else ""))
        if on_query is not None:
            on_query()
    return pairs


def _negatives(
    kb: KnowledgeBase, question: str, depth: int, mapper: HitMapper, relevant: set[str], positives: set[str]
) -> list[str]:
    """Texts of high-ranked passages that are neither judged relevant nor part of a relevant one."""
    ranked = [kb.search(question, k=depth, mode=mode) for mode in (SearchMode.bm25, SearchMode.dense)]
    seen: dict[str, None] = {}
    for rank in range(depth):
        for hits in ranked:
            if rank < len(hits):
                hit = hits[rank]
                if relevant.isdisjoint(mapper(hit)) and hit.chunk.text not in positives:
                    seen.setdefault(hit.chunk.text)
    return list(seen)
