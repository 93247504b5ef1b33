"""The dense index's switch from exact search to IVF at the size threshold."""

from __future__ import annotations

import numpy as np

from index.dense import DenseLayout, FaissRetriever, ivf_cells
from index.types import Allowed


MODEL, DIM = "unit-vectors", 64  # vectors are given directly: only a model id for the file name


def _unit(rows: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_auto_layout_turns_ivf_at_the_threshold_and_keeps_ids_updates_and_files(tmp_path):
    vectors, ids = _unit(3000, 1), np.arange(10, 3010, dtype=np.int64)
    dense = FaissRetriever(tmp_path, MODEL, DenseLayout("auto", ivf_threshold=2000, nprobe=8))
    dense.add(ids[:1500], vectors[:1500])
    dense.save()
    assert dense.describe() == "flat"  # below the threshold
    dense.add(ids[1500:], vectors[1500:])
    dense.save()
    assert dense.describe() == f"ivf{ivf_cells(3000)}" == "ivf76"  # min(4 * sqrt(3000), 3000 // 39)
    assert np.array_equal(dense.ids(), ids)

    loaded = FaissRetriever.load(tmp_path, MODEL, DenseLayout("auto", 2000, nprobe=76))
    assert loaded.is_ivf
    # All cells probed: exactly the flat answer.
    for row in (0, 1700, 2999):
        assert loaded.search(vectors[row], 1).ids[0] == ids[row]
    loaded.remove(ids[:5])
    loaded.add(np.array([99_999]), vectors[:1])
    assert loaded.search(vectors[0], 1).ids[0] == 99_999
    assert len(loaded) == 2996 and 10 not in loaded.ids()
    allowed = loaded.search(vectors[2000], 3, allowed=Allowed(np.array([ids[2000], ids[2001]])))
    assert set(allowed.ids.tolist()) <= {ids[2000], ids[2001]} and allowed.ids[0] == ids[2000]


def test_few_probed_cells_lose_a_little_recall_against_exact_search(tmp_path):
    corpus, queries = _unit(5000, 2), _unit(200, 3)
    ids = np.arange(5000, dtype=np.int64)
    exact = FaissRetriever(tmp_path, MODEL, DenseLayout("flat"))
    ivf = FaissRetriever(tmp_path, MODEL, DenseLayout("ivf", nprobe=4))
    for index in (exact, ivf):
        index.add(ids, corpus)
        index.settle()
    overlap = np.mean([
        len(set(exact.search(q, 10).ids) & set(ivf.search(q, 10).ids)) / 10 for q in queries
    ])
    assert exact.describe() == "flat" and ivf.is_ivf
    assert 0.2 < overlap < 1.0  # approximate: random 64-d vectors are IVF's hardest case


def test_an_ivf_index_goes_back_to_exact_search_when_the_setting_says_flat(tmp_path):
    corpus = _unit(3000, 4)
    ids = np.arange(10, 3010, dtype=np.int64)
    ivf = FaissRetriever(tmp_path, MODEL, DenseLayout("ivf", nprobe=4))
    ivf.add(ids, corpus)
    ivf.settle()
    ivf.save()
    flat = FaissRetriever.load(tmp_path, MODEL, DenseLayout("flat"))
    assert flat.is_ivf and flat.settle() and flat.describe() == "flat"  # rebuilt from the vectors IVF stores
    assert np.array_equal(np.sort(flat.ids()), ids)
    exact = FaissRetriever(tmp_path, MODEL, DenseLayout("flat"))
    exact.add(ids, corpus)
    query = corpus[123]
    assert np.array_equal(flat.search(query, 10).ids, exact.search(query, 10).ids)
    assert not flat.settle()  # nothing more to do
