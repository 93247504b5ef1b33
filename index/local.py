"""The in-process backend: FAISS and BM25 files in the base's own folder.

    dense-<model>.faiss  FAISS index of chunk vectors, keyed by chunk id (`index.dense`)
    lexical/             BM25 index: numpy arrays, JSON parameters, bm25s' files (`index.lexical`)

Filters reach both as the allowed chunk ids (`Allowed.ids`); neither keeps other fields.
"""

from __future__ import annotations

from pathlib import Path

from index.dense import DenseLayout, FaissRetriever
from index.lexical import BM25Retriever, ChineseTokenizer


class LocalBackend:
    """Opens the FAISS and BM25 indexes saved in `folder` (`IndexBackend`)."""

    name = "local"
    in_process = True

    def __init__(self, folder: Path, k1: float = 1.2, b: float = 0.75, layout: DenseLayout | None = None) -> None:
        self.folder = folder
        self.k1, self.b = k1, b
        self.layout = layout or DenseLayout()

    @property
    def lexical_folder(self) -> Path:
        return self.folder / "lexical"

    def load_dense(self, model_id: str) -> FaissRetriever:
        return FaissRetriever.load(self.folder, model_id, self.layout)

    def empty_dense(self, model_id: str) -> FaissRetriever:
        return FaissRetriever(self.folder, model_id, self.layout)

    def load_lexical(self, tokenizer: ChineseTokenizer) -> BM25Retriever:
        return BM25Retriever.load(self.lexical_folder, tokenizer, self.k1, self.b)

    def empty_lexical(self, tokenizer: ChineseTokenizer) -> BM25Retriever:
        return BM25Retriever(tokenizer, self.k1, self.b, self.lexical_folder)

    def close(self) -> None:
        """Nothing is held open: the indexes live in memory and are saved as files."""
