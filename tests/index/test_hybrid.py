import numpy as np
import pytest

from index.hybrid import BM25_MINIMUM, COSINE_MINIMUM, convex_fusion, reciprocal_rank_fusion
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


def scored(pairs: dict[int, float]) -> ScoredIds:
    return ScoredIds(np.array(list(pairs), dtype=np.int64), np.array(list(pairs.values()), dtype=np.float32))


def test_convex_fusion_adds_min_max_normalised_scores():
    bm25 = scored({1: 9.0, 2: 5.0, 3: 1.0})  # normalised: 1, 0.5, 0
    dense = scored({3: 0.81, 2: 0.80, 4: 0.61})  # normalised: 1, 0.95, 0
    fused = convex_fusion([bm25, dense], [1.0, 1.0])
    scores = dict(zip(fused.ids.tolist(), fused.scores.tolist()))
    assert scores[1] == pytest.approx(1.0)
    assert scores[2] == pytest.approx(0.5 + (0.80 - 0.61) / (0.81 - 0.61))
    assert scores[3] == pytest.approx(0.0 + 1.0)
    assert scores[4] == pytest.approx(0.0)
    assert fused.ids.tolist() == [2, 1, 3, 4]  # 1 and 3 tie at 1.0: the lower id first


def test_convex_fusion_keeps_a_clear_winner_over_a_near_tie():
    """The case RRF gets wrong: one retriever is sure, the other barely separates its hits."""
    bm25 = scored({10: 2.5, 20: 1.0, 30: 0.9})
    dense = scored({20: 0.80, 30: 0.79, 10: 0.76, 40: 0.50})
    assert convex_fusion([bm25, dense], [1.0, 1.0]).ids[0] == 10
    assert reciprocal_rank_fusion([bm25, dense], [1.0, 1.0]).ids[0] == 20


def test_convex_fusion_handles_single_scores_and_empty_lists():
    fused = convex_fusion([scored({5: 3.0}), ScoredIds()], [1.0, 1.0])
    assert fused.ids.tolist() == [5] and fused.scores.tolist() == [1.0]
    with pytest.raises(ValueError, match="one weight per ranking"):
        convex_fusion([ScoredIds()], [1.0, 1.0])


def as_dict(fused: ScoredIds) -> dict[int, float]:
    return dict(zip(fused.ids.tolist(), fused.scores.tolist()))


def test_theoretical_minimums_keep_the_last_hit_of_a_short_list():
    """Min-max scores BM25's second and last hit 0; from BM25's own minimum it keeps its share."""
    bm25 = scored({1: 8.0, 2: 6.0})
    dense = scored({3: 0.90, 4: 0.85, 2: 0.70, 5: 0.50})
    minmax = as_dict(convex_fusion([bm25, dense], [1.0, 1.0]))
    fused = convex_fusion([bm25, dense], [1.0, 1.0], [BM25_MINIMUM, COSINE_MINIMUM])
    scores = as_dict(fused)
    assert minmax[2] == pytest.approx(0.0 + (0.70 - 0.50) / (0.90 - 0.50))
    assert scores[1] == pytest.approx(8.0 / 8.0)
    assert scores[2] == pytest.approx(6.0 / 8.0 + (0.70 + 1) / (0.90 + 1))
    assert scores[3] == pytest.approx((0.90 + 1) / (0.90 + 1))
    assert scores[5] == pytest.approx((0.50 + 1) / (0.90 + 1))
    assert fused.ids.tolist()[0] == 2


def test_theoretical_minimums_per_list_and_edge_cases():
    bm25 = scored({1: 4.0, 2: 1.0})
    dense = scored({2: 0.8, 3: 0.6})
    scores = as_dict(convex_fusion([bm25, dense], [1.0, 1.0], [0.0, None]))  # None: min-max for that list
    assert scores == pytest.approx({1: 1.0, 2: 1.0 / 4.0 + 1.0, 3: 0.0})
    below = convex_fusion([scored({7: 0.5, 8: -1.2})], [1.0], [COSINE_MINIMUM])  # under the floor: the floor
    assert below.scores.tolist() == pytest.approx([1.0, 0.0])
    single = convex_fusion([scored({5: 3.0})], [1.0], [BM25_MINIMUM])
    assert single.ids.tolist() == [5] and single.scores.tolist() == [1.0]
    floor = convex_fusion([scored({6: 0.0})], [1.0], [BM25_MINIMUM])  # nothing above the floor scores 0
    assert floor.scores.tolist() == [0.0]
    with pytest.raises(ValueError, match="one minimum"):
        convex_fusion([bm25, dense], [1.0, 1.0], [0.0])
