import numpy as np
import pytest

from index.hybrid import reciprocal_rank_fusion
from index.types import ScoredIds


def ranking(*ids: int) -> ScoredIds:
    return ScoredIds(np.array(ids, dtype=np.int64), np.linspace(1, 0, len(ids)).astype(np.float32))


def test_rrf_sums_reciprocal_ranks():
    fused = reciprocal_rank_fusion([ranking(7, 3, 9), ranking(3, 5, 7)], [1.0, 1.0], k=60)
    scores = dict(zip(fused.ids.tolist(), fused.scores.tolist()))
    assert scores[3] == pytest.approx(1 / (60 + 2) + 1 / (60 + 1))
    assert scores[7] == pytest.approx(1 / (60 + 1) + 1 / (60 + 3))
    assert scores[9] == pytest.approx(1 / (60 + 3))
    assert scores[5] == pytest.approx(1 / (60 + 2))
    assert fused.ids.tolist() == [3, 7, 5, 9]


def test_rrf_weights_scale_each_list():
    fused = reciprocal_rank_fusion([ranking(1), ranking(2)], [2.0, 1.0], k=10)
    assert fused.ids.tolist() == [1, 2]
    assert fused.scores.tolist() == pytest.approx([2 / (10 + 1), 1 / (10 + 1)])


def test_rrf_breaks_ties_by_id_and_handles_empty_lists():
    fused = reciprocal_rank_fusion([ranking(8), ranking(4), ScoredIds()], [1.0, 1.0, 1.0])
    assert fused.ids.tolist() == [4, 8]
    assert len(reciprocal_rank_fusion([ScoredIds()], [1.0]).ids) == 0


def test_rrf_rejects_bad_arguments():
    with pytest.raises(ValueError, match="one weight per ranking"):
        reciprocal_rank_fusion([ranking(1)], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 1"):
        reciprocal_rank_fusion([ranking(1)], [1.0], k=0)
