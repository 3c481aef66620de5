"""Full-catalogue scores of a trained ranker for its training users (what the harness ranks)."""

from __future__ import annotations

import numpy as np
import torch

from recsys.models.ranker import TwoTowerRanker
from recsys.models.trainer import TowerInputs, item_batch_inputs, user_batch_inputs


@torch.no_grad()
def all_embeddings(
    model: TwoTowerRanker, inputs: TowerInputs, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """(user matrix, item matrix) for every training user and every movie."""
    model.eval()
    items = model.item_embeddings(item_batch_inputs(inputs)).numpy()
    users = np.arange(inputs.train.n_users)
    chunks = [
        model.user_embeddings(user_batch_inputs(inputs, users[s : s + batch_size])).numpy()
        for s in range(0, len(users), batch_size)
    ]
    return np.concatenate(chunks), items


def score_function(model: TwoTowerRanker, inputs: TowerInputs, with_corating: bool = True):
    """A harness-compatible ``users -> scores`` function over precomputed embeddings, plus the
    co-rating readout of each user's training ratings when the model has one (and
    ``with_corating``; without it, the towers' part alone, to measure what each path adds)."""
    user_matrix, item_matrix = all_embeddings(model, inputs)
    corating = model.corating if with_corating else None
    if corating is None:
        return lambda users: user_matrix[users] @ item_matrix.T

    def scores(users: np.ndarray) -> np.ndarray:
        spikes = torch.from_numpy(inputs.train.dense(users))
        with torch.no_grad():
            readout = corating(spikes).numpy()
        return user_matrix[users] @ item_matrix.T + readout

    return scores
