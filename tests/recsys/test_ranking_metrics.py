"""Metrics on examples small enough to compute by hand."""

import math

import pytest

from recsys.metrics import (
    map_at_k,
    map_at_k_capped,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)

# One user: recommended [A, B, C, D], relevant {A, C, E}; k = 4.
RECOMMENDED = [[1, 2, 3, 4]]
RELEVANT = [{1, 3, 5}]


def test_precision_counts_hits_over_k():
    assert precision_at_k(RECOMMENDED, RELEVANT, k=4) == pytest.approx(2 / 4)


def test_recall_counts_hits_over_all_relevant():
    assert recall_at_k(RECOMMENDED, RELEVANT, k=4) == pytest.approx(2 / 3)


def test_ndcg_uses_log_discount_and_ideal_of_min_k_relevant():
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(RECOMMENDED, RELEVANT, k=4) == pytest.approx(dcg / ideal)


def test_map_divides_precision_at_hits_by_all_relevant():
    # hits at rank 1 (precision 1/1) and rank 3 (precision 2/3)
    assert map_at_k(RECOMMENDED, RELEVANT, k=4) == pytest.approx((1 + 2 / 3) / 3)


def test_capped_map_divides_by_min_k_relevant():
    assert map_at_k_capped(RECOMMENDED, RELEVANT, k=2) == pytest.approx(1 / 2)
    assert map_at_k(RECOMMENDED, RELEVANT, k=2) == pytest.approx(1 / 3)


def test_metrics_average_over_users_and_short_lists_waste_slots():
    recommended = [[1, 2], [9]]
    relevant = [{1, 2}, {7}]
    assert precision_at_k(recommended, relevant, k=2) == pytest.approx((2 / 2 + 0) / 2)
    assert ndcg_at_k(recommended, relevant, k=2) == pytest.approx((1 + 0) / 2)


def test_ranking_metrics_agree_with_single_functions():
    combined = ranking_metrics(RECOMMENDED, RELEVANT, k=4)
    assert combined["precision@4"] == pytest.approx(precision_at_k(RECOMMENDED, RELEVANT, 4))
    assert combined["map@4"] == pytest.approx(map_at_k(RECOMMENDED, RELEVANT, 4))
    assert combined["ndcg@4"] == pytest.approx(ndcg_at_k(RECOMMENDED, RELEVANT, 4))


def test_user_without_relevant_items_is_an_error():
    with pytest.raises(ValueError):
        precision_at_k([[1]], [set()], k=1)
