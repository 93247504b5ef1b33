"""Dense retrieval: normalised embeddings in a FAISS inner-product index keyed by chunk id.

Small bases use exact search (IndexFlatIP). Above a size threshold the index is rebuilt,
once, as an inverted-file index (IndexIVFFlat: k-means cells, only the `nprobe` closest
cells searched; Jégou et al., TPAMI 2011), which trades a measured sliver of recall for
search time that no longer grows with the whole base. IVF keeps the chunk ids itself and
supports removal, so updates work the same way on both.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index.types import Allowed, ChunkFields, ScoredIds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DenseLayout:
    """Which FAISS index to keep: `auto` switches from flat to IVF at `ivf_threshold` vectors."""

    kind: Literal["auto", "flat", "ivf"] = "auto"
    ivf_threshold: int = 50_000
    nprobe: int = 64

    def wants_ivf(self, size: int) -> bool:
        if self.kind == "flat":
            return False
        return size >= (self.ivf_threshold if self.kind == "auto" else 1)


def ivf_cells(size: int) -> int:
    """Number of IVF cells: about 4 * sqrt(n), the usual FAISS guideline, with 39+ training points each."""
    return max(1, min(int(4 * math.sqrt(size)), size // 39))


class FaissRetriever:
    """Inner-product search (= cosine on unit vectors): IndexIDMap2(IndexFlatIP), or IndexIVFFlat when large.

    The file name carries the model id (dense-<model>.faiss), so vectors of another model
    are never loaded by mistake.
    """

    def __init__(self, folder: Path, model_id: str, layout: DenseLayout | None = None,
                 index: faiss.Index | None = None) -> None:
        self.folder = folder
        self.model_id = model_id
        self.layout = layout or DenseLayout()
        # Created on the first add, when vectors tell the dimension; a loaded index is checked
        # whenever vectors meet it.
        self.index = index

    @property
    def is_ivf(self) -> bool:
        return isinstance(self.index, faiss.IndexIVF)

    def describe(self) -> str:
        if self.index is None:
            return "empty"
        return f"ivf{self.index.nlist}" if self.is_ivf else "flat"

    @staticmethod
    def file_name(model_id: str) -> str:
        return f"dense-{model_id}.faiss"

    def _check_dim(self, vectors: np.ndarray) -> None:
        if self.index is None:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(int(vectors.shape[-1])))
        if vectors.shape[-1] != self.index.d:
            raise ValueError(
                f"the FAISS index holds {self.index.d}-d vectors, the model gives {vectors.shape[-1]}-d:"
                " rebuild the dense index for this model"
            )

    def add(self, ids: np.ndarray, vectors: np.ndarray, fields: Sequence[ChunkFields] = ()) -> None:
        """Add vectors under chunk ids not yet in the index (FAISS keeps no other fields)."""
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if not len(ids):
            return
        self._check_dim(vectors)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the index, flat or IVF-flat (which stores the raw vectors in its lists)."""
        if self.is_ivf:
            lists, d = self.index.invlists, self.index.d
            ids, vectors = [], []
            for cell in range(self.index.nlist):
                size = lists.list_size(cell)
                if size:
                    ids.append(faiss.rev_swig_ptr(lists.get_ids(cell), size).copy())
                    codes = faiss.rev_swig_ptr(lists.get_codes(cell), size * d * 4)
                    vectors.append(np.frombuffer(codes.tobytes(), dtype=np.float32).reshape(size, d))
            if not ids:
                return np.empty(0, np.int64), np.empty((0, d), np.float32)
            return np.concatenate(ids).astype(np.int64), np.concatenate(vectors)
        flat = faiss.downcast_index(self.index.index)
        vectors = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d).copy()
        return self.ids(), vectors

    def settle(self) -> bool:
        """Rebuild the index when the layout asks for the other kind (flat -> IVF at the threshold, or
        IVF -> flat when the setting says flat); True when it did (called before saving)."""
        if self.index is None:
            return False
        wants_ivf = self.layout.wants_ivf(int(self.index.ntotal))
        if self.is_ivf and self.layout.kind == "flat":
            ids, vectors = self._vectors()
            log.info("the setting asks for exact search: rebuilding the dense index as flat")
            flat = faiss.IndexIDMap2(faiss.IndexFlatIP(self.index.d))
            if len(ids):
                flat.add_with_ids(vectors, ids)
            self.index = flat
            return True
        if self.is_ivf or not wants_ivf:
            return False
        ids, vectors = self._vectors()
        cells = ivf_cells(len(ids))
        log.info("the dense index reached %d vectors: building IVF with %d cells", len(ids), cells)
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], cells,
                                 faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = 1234  # same base, same cells
        ivf.train(vectors)
        ivf.add_with_ids(vectors, ids)
        self.index = ivf
        return True

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) and self.index is not None:
            self.index.remove_ids(ids.astype(np.int64))

    def ids(self) -> np.ndarray:
        if self.index is None or self.index.ntotal == 0:
            return np.empty(0, dtype=np.int64)
        if self.is_ivf:
            lists = self.index.invlists
            parts = [faiss.rev_swig_ptr(lists.get_ids(c), lists.list_size(c)).copy()
                     for c in range(self.index.nlist) if lists.list_size(c)]
            return np.sort(np.concatenate(parts)).astype(np.int64)
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def __len__(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    def search(self, vector: np.ndarray, k: int, allowed: Allowed | None = None) -> ScoredIds:
        if self.index is None or self.index.ntotal == 0 or k <= 0:
            return ScoredIds()
        self._check_dim(vector)
        selector = None
        if allowed is not None:
            if not len(allowed.ids):
                return ScoredIds()
            selector = faiss.IDSelectorBatch(allowed.ids.astype(np.int64))
        if self.is_ivf:
            params = faiss.SearchParametersIVF(nprobe=min(self.layout.nprobe, self.index.nlist), sel=selector)
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        k = min(k, int(self.index.ntotal))
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ScoredIds(ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))

    def path(self) -> Path:
        return self.folder / self.file_name(self.model_id)

    def save(self) -> None:
        """Write the index next to its final name and rename it into place (atomic on POSIX)."""
        if self.index is None:
            return
        self.settle()
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path()
        staging = target.with_suffix(".faiss.tmp")
        faiss.write_index(self.index, str(staging))
        with open(staging, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, target)

    def drop(self) -> None:
        self.path().unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, model_id: str, layout: DenseLayout | None = None) -> FaissRetriever:
        """Load the index saved for this model; raises ValueError when there is none."""
        path = folder / cls.file_name(model_id)
        if not path.is_file():
            raise ValueError(f"no FAISS index for model {model_id} in {folder}")
        return cls(folder, model_id, layout, faiss.read_index(str(path)))
