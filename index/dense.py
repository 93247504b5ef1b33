"""Dense retrieval: normalised embeddings in a FAISS inner-product index keyed by chunk id."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from index.types import Embedder, ScoredIds

log = logging.getLogger(__name__)


class FaissRetriever:
    """Exact inner-product search (= cosine on unit vectors) over an IndexIDMap2(IndexFlatIP).

    The file name carries the model id (dense-<model>.faiss), so vectors of another model
    are never loaded by mistake.
    """

    def __init__(self, embedder: Embedder, index: faiss.Index | None = None) -> None:
        self.embedder = embedder
        # Created on the first add, when vectors tell the dimension, so opening an empty
        # base does not load the model; a loaded index is checked whenever vectors meet it.
        self.index = index

    @staticmethod
    def file_name(model_id: str) -> str:
        return f"dense-{model_id}.faiss"

    def add(self, ids: np.ndarray, texts: Sequence[str]) -> None:
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if len(ids):
            self.add_vectors(ids, self.embedder.encode_documents(list(texts)))

    def _check_dim(self, vectors: np.ndarray) -> None:
        if self.index is None:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(int(vectors.shape[-1])))
        if vectors.shape[-1] != self.index.d:
            raise ValueError(
                f"the FAISS index holds {self.index.d}-d vectors, the model gives {vectors.shape[-1]}-d:"
                " rebuild the dense index for this model"
            )

    def add_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._check_dim(vectors)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) and self.index is not None:
            self.index.remove_ids(ids.astype(np.int64))

    def ids(self) -> np.ndarray:
        if self.index is None or self.index.ntotal == 0:
            return np.empty(0, dtype=np.int64)
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def __len__(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> ScoredIds:
        return self.search_vector(self.embedder.encode_queries([query])[0], k, allowed)

    def search_vector(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> ScoredIds:
        if self.index is None or self.index.ntotal == 0 or k <= 0:
            return ScoredIds()
        self._check_dim(vector)
        params = None
        if allowed is not None:
            if not len(allowed):
                return ScoredIds()
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        k = min(k, int(self.index.ntotal))
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ScoredIds(ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))

    def save(self, folder: Path) -> None:
        """Write the index next to its final name and rename it into place (atomic on POSIX)."""
        if self.index is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.file_name(self.embedder.model_id)
        staging = target.with_suffix(".faiss.tmp")
        faiss.write_index(self.index, str(staging))
        with open(staging, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, target)

    @classmethod
    def load(cls, folder: Path, embedder: Embedder) -> FaissRetriever:
        """Load the index saved for this embedder's model; raises ValueError when there is none."""
        path = folder / cls.file_name(embedder.model_id)
        if not path.is_file():
            raise ValueError(f"no FAISS index for model {embedder.model_id} in {folder}")
        return cls(embedder, faiss.read_index(str(path)))
