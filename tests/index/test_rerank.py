"""The document rerank stage, on lists small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from index.rerank import document_rerank
from index.types import ScoredIds


def scored(ids, scores):
    return ScoredIds(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64))


def test_passages_of_a_well_supported_document_rise():
    ranked = scored([1, 2, 3, 4], [1.0, 0.8, 0.6, 0.0])
    out = document_rerank(ranked, ["A", "B", "B", "A"], weight=0.5, top_m=2)
    # own scores are already 0..1; D(A) = (1 + 0) / 2, D(B) = (0.8 + 0.6) / 2, divided by max D = 0.7
    expected = {
        1: 0.5 * 1.0 + 0.5 * (0.5 / 0.7),
        2: 0.5 * 0.8 + 0.5 * (0.7 / 0.7),
        3: 0.5 * 0.6 + 0.5 * (0.7 / 0.7),
        4: 0.5 * 0.0 + 0.5 * (0.5 / 0.7),
    }
    assert out.ids.tolist() == [2, 1, 3, 4]
    assert out.scores.tolist() == pytest.approx([expected[i] for i in out.ids.tolist()])


def test_weight_zero_keeps_the_order():
    ranked = scored([5, 6, 7], [3.0, 2.0, 1.0])
    assert document_rerank(ranked, ["A", "B", "B"], weight=0.0).ids.tolist() == [5, 6, 7]


def test_empty_list_and_bad_arguments():
    assert len(document_rerank(ScoredIds(), [], weight=0.3).ids) == 0
    with pytest.raises(ValueError, match="one group per candidate"):
        document_rerank(scored([1], [1.0]), [], weight=0.3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        document_rerank(scored([1], [1.0]), ["A"], weight=1.5)
