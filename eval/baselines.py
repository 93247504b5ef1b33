"""Reference retrievers outside the product, run by the same script on the same passages.

- `RankBM25Baseline`: plain Okapi BM25 (Robertson & Zaragoza 2009) from rank_bm25 over
  jieba's default tokens, no stop-words, no domain dictionary: the kind of lexical baseline
  the STARD paper reports.
- `FlatDenseBaseline`: the embedding model's unit vectors in a FAISS exact inner-product
  index, no fusion and no rerank.

Both rank passage ids for a query; the evaluation times and scores them like any configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import faiss
import jieba
import numpy as np

from eval.datasets import Passage
from index.types import Embedder


class RankBM25Baseline:
    def __init__(self, passages: Sequence[Passage], progress: Callable[[int], None] | None = None) -> None:
        try:
            from rank_bm25 import BM25Okapi
        except ImportError:
            raise ValueError("the rank_bm25 baseline needs the eval extra: pip install -e '.[eval]'") from None
        self.ids = [p.id for p in passages]
        tokenized = []
        for passage in passages:
            tokenized.append([t for t in jieba.lcut(passage.indexed_text) if t.strip()])
            if progress:
                progress(1)
        self._bm25 = BM25Okapi(tokenized)

    def rank(self, query: str, k: int) -> list[str]:
        tokens = [t for t in jieba.lcut(query) if t.strip()]
        scores = self._bm25.get_scores(tokens)
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) > k else np.arange(len(scores))
        order = top[np.argsort(-scores[top], kind="stable")]
        return [self.ids[i] for i in order if scores[i] > 0]


class FlatDenseBaseline:
    """Vectors come from `embedder` (the evaluation passes the base's cached one: same model, same text)."""

    def __init__(
        self, passages: Sequence[Passage], embedder: Embedder, progress: Callable[[int], None] | None = None
    ) -> None:
        self.ids = [p.id for p in passages]
        self.embedder = embedder
        vectors = embedder.encode_documents([p.indexed_text for p in passages], progress)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def rank(self, query: str, k: int) -> list[str]:
        vector = self.embedder.encode_queries([query])
        _, found = self._index.search(np.ascontiguousarray(vector, dtype=np.float32), k)
        return [self.ids[i] for i in found[0] if i >= 0]
