"""Top-k ranking metrics over users, with the conventions of microsoft/recommenders.

Every function takes, per user, the recommended list (best first) and the set of relevant (test)
items, and returns the mean over users. Users are whoever the caller passes: the protocol passes
exactly the users with at least one test item, so an empty relevant set is a caller error.

Conventions (those of ``recommenders.evaluation.python_evaluation``, which produced the published
table we compare with):

* Precision@k = hits in the top k / k (not / min(k, #relevant)).
* Recall@k = hits in the top k / #relevant.
* nDCG@k: binary gain, discount 1/log(1 + rank); the ideal DCG puts min(k, #relevant) hits first.
* MAP@k = Σ over hits at rank r of (hits up to r)/r, divided by #relevant — the published "MAP"
  column (``map`` in recent releases, ``map_at_k`` in the releases the table was made with).
  :func:`map_at_k_capped` divides by min(k, #relevant) instead (``map_at_k`` in recent releases).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np


def hit_flags(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(users × k) hit flags (False past the end of a short list) and #relevant per user."""
    if len(recommended) != len(relevant):
        raise ValueError(f"{len(recommended)} recommendation lists but {len(relevant)} truth sets")
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    hits = np.zeros((len(recommended), k), dtype=bool)
    n_relevant = np.zeros(len(recommended), dtype=np.float64)
    for row, (ranked, truth) in enumerate(zip(recommended, relevant, strict=True)):
        truth = set(int(t) for t in truth)
        if not truth:
            raise ValueError("every evaluated user needs at least one relevant item")
        n_relevant[row] = len(truth)
        top = [int(item) for item in list(ranked)[:k]]
        hits[row, : len(top)] = [item in truth for item in top]
    return hits, n_relevant


def per_user_precision(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Each user's precision from :func:`hit_flags`' output (the measures' common shape)."""
    return hits.sum(axis=1) / hits.shape[1]


def per_user_recall(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    return hits.sum(axis=1) / n_relevant


def per_user_ndcg(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    discount = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    dcg = (hits * discount).sum(axis=1)
    ideal_cumulative = np.cumsum(discount)
    ideal_hits = np.minimum(n_relevant, hits.shape[1]).astype(np.int64)
    return dcg / ideal_cumulative[ideal_hits - 1]


def _precision_sum_at_hits(hits: np.ndarray) -> np.ndarray:
    ranks = np.arange(1, hits.shape[1] + 1)
    precision_at_rank = np.cumsum(hits, axis=1) / ranks
    return (precision_at_rank * hits).sum(axis=1)


def per_user_map(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    return _precision_sum_at_hits(hits) / n_relevant


def per_user_map_capped(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    return _precision_sum_at_hits(hits) / np.minimum(n_relevant, hits.shape[1])


def precision_at_k(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> float:
    """Share of the k slots that hold a relevant item; a list shorter than k wastes slots."""
    return float(per_user_precision(*hit_flags(recommended, relevant, k)).mean())


def recall_at_k(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> float:
    """Share of a user's relevant items found in the top k (cannot reach 1 when #relevant > k)."""
    return float(per_user_recall(*hit_flags(recommended, relevant, k)).mean())


def ndcg_at_k(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> float:
    """Position-discounted hits, normalised so a perfect top k scores 1 for every user."""
    return float(per_user_ndcg(*hit_flags(recommended, relevant, k)).mean())


def map_at_k(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> float:
    """Average precision at the hit ranks, normalised by ALL of the user's relevant items.

    This is the convention of the published MovieLens-100K table (its "MAP" column), which
    rewards a top k that covers a larger share of the user's test set.
    """
    return float(per_user_map(*hit_flags(recommended, relevant, k)).mean())


def map_at_k_capped(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> float:
    """Like :func:`map_at_k` but normalised by min(k, #relevant), so a perfect top k scores 1."""
    return float(per_user_map_capped(*hit_flags(recommended, relevant, k)).mean())
