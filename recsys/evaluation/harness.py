"""One evaluation loop for every model, so baselines and the spiking ranker are judged alike.

A model is anything that keeps the scoring half of the model contract
(:class:`~recsys.models.contract.Scorer`): ``score(users)`` returns a (batch, n_items) score
matrix for a batch of training-user indices. The harness masks each user's train items, takes
the top k over *all* remaining movies (movies nobody rated in train included: the protocol
ranks the whole catalogue) and computes the metrics over users with test items.
"""

from __future__ import annotations

import numpy as np

from recsys.data.interactions import IndexedSplit, UserItemRows
from recsys.metrics import ranking_metrics
from recsys.metrics.names import N_EVAL_USERS
from recsys.models.contract import Scorer


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
    model: Scorer, train: UserItemRows, users: np.ndarray, k: int, batch_size: int = 256
) -> np.ndarray:
    """(len(users), k) top-k unseen item indices."""
    _check_scorer(model)
    out = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        scores = np.asarray(model.score(batch))
        if scores.shape != (len(batch), train.n_items):
            raise ValueError(
                f"{type(model).__name__}.score returned {scores.shape}, expected "
                f"{(len(batch), train.n_items)}"
            )
        if not np.isfinite(scores).all():
            raise ValueError(f"{type(model).__name__}.score returned non-finite scores")
        out[start : start + len(batch)] = top_k_unseen(
            scores, [train.items_of(int(u)) for u in batch], k
        )
    return out


def evaluate_model(model: Scorer, split: IndexedSplit, k: int = 10) -> dict[str, float]:
    """The protocol's metrics for ``model`` over users with test items."""
    users = split.eval_users()
    recommended = recommend_for_users(model, split.train, users, k)
    relevant = [split.test.items_of(int(u)) for u in users]
    metrics = ranking_metrics(recommended, relevant, k)
    metrics[N_EVAL_USERS] = float(len(users))
    return metrics


def _check_scorer(model: object) -> None:
    if not isinstance(model, Scorer):
        raise TypeError(
            f"the harness scores models with score(users) -> (len(users), n_items) "
            f"(recsys.models.contract.Scorer); {type(model).__name__} has no score method"
        )
