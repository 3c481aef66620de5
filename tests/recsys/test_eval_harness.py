import numpy as np
import pandas as pd
import pytest

from recsys.data.interactions import IndexedSplit
from recsys.data.negatives import sample_negatives, sample_triples
from recsys.evaluation import evaluate_model, top_k_unseen


def _split() -> IndexedSplit:
    train = pd.DataFrame({"user_id": [1, 1, 2], "movie_id": [10, 20, 30], "rating": [5, 4, 3]})
    test = pd.DataFrame({"user_id": [1, 2], "movie_id": [30, 10], "rating": [5, 5]})
    return IndexedSplit.from_tables(train, test, [1, 2, 3], [10, 20, 30, 40])


def test_top_k_never_returns_seen_items_and_breaks_ties_by_index():
    scores = np.array([[5.0, 4.0, 1.0, 1.0]])
    assert top_k_unseen(scores, [np.array([0])], 3).tolist() == [[1, 2, 3]]


class _Fixed:
    """A model that keeps the scoring contract with a fixed score matrix."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.scores[users]


def test_harness_ranks_unseen_items_and_averages_over_users_with_test_items():
    split = _split()
    # An oracle that knows the test items gets perfect precision@1.
    metrics = evaluate_model(_Fixed(split.test.dense()), split, k=1)
    assert metrics["n_eval_users"] == 2  # user 3 has no test items
    assert metrics["precision@1"] == 1.0
    assert metrics["ndcg@1"] == 1.0


def test_harness_reads_models_only_through_the_scoring_contract():
    split = _split()
    oracle = split.test.dense()
    with pytest.raises(TypeError, match="score\\(users\\)"):
        evaluate_model(lambda users: oracle[users], split, k=1)  # a bare function is no model
    with pytest.raises(ValueError, match=r"returned \(2, 3\), expected \(2, 4\)"):
        evaluate_model(_Fixed(oracle[:, :3]), split, k=1)
    broken = oracle.copy()
    broken[0, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        evaluate_model(_Fixed(broken), split, k=1)


def test_negatives_are_never_rated_items():
    split = _split()
    rng = np.random.default_rng(0)
    negatives = sample_negatives(split.train, np.array([0, 0, 1]), 20, rng)
    for row, user in enumerate([0, 0, 1]):
        assert not set(negatives[row]) & set(split.train.items_of(user))
    users, positives, negatives = sample_triples(split.train, rng)
    for u, p, n in zip(users, positives, negatives, strict=True):
        assert p in split.train.items_of(u) and n not in split.train.items_of(u)
