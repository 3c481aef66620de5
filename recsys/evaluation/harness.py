"""One evaluation loop for every model, so baselines and the spiking ranker are judged alike.

A model is just a function from a batch of user indices to a (batch, n_items) score matrix.
The harness masks each user's train items, takes the top k over *all* remaining movies (movies
nobody rated in train included: the protocol ranks the whole catalogue) and computes the metrics
over users with test items.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recsys.data.interactions import IndexedSplit, UserItemRows
from recsys.metrics import ranking_metrics

ScoreFn = Callable[[np.ndarray], np.ndarray]


def top_k_unseen(scores: np.ndarray, seen: list[np.ndarray], k: int) -> np.ndarray:
    """Per row, the k best item indices among those not in ``seen[row]``, best first.

    Ties break toward the lower item index so results are deterministic.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    for row, items in enumerate(seen):
        scores[row, items] = -np.inf
    k = min(k, scores.shape[1])
    candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    order = np.lexsort((candidates, -candidate_scores), axis=1)
    return np.take_along_axis(candidates, order, axis=1)


def recommend_for_users(
    score_fn: ScoreFn, train: UserItemRows, users: np.ndarray, k: int, batch_size: int = 256
) -> np.ndarray:
    """(len(users), k) top-k unseen item indices."""
    out = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        scores = np.asarray(score_fn(batch))
        if scores.shape != (len(batch), train.n_items):
            raise ValueError(
                f"score_fn returned {scores.shape}, expected {(len(batch), train.n_items)}"
            )
        out[start : start + len(batch)] = top_k_unseen(
            scores, [train.items_of(int(u)) for u in batch], k
        )
    return out


def evaluate_scores(score_fn: ScoreFn, split: IndexedSplit, k: int = 10) -> dict[str, float]:
    """The protocol's metrics for ``score_fn`` over users with test items."""
    users = split.eval_users()
    recommended = recommend_for_users(score_fn, split.train, users, k)
    relevant = [split.test.items_of(int(u)) for u in users]
    metrics = ranking_metrics(recommended, relevant, k)
    metrics["n_eval_users"] = float(len(users))
    return metrics
