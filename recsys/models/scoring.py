"""Full-catalogue scores of a trained ranker for its training users (what the harness ranks)."""

from __future__ import annotations

import numpy as np
import torch

from recsys.models import defaults
from recsys.models.batches import TowerInputs, item_batch_inputs, user_batch_inputs
from recsys.models.ranker import TwoTowerRanker


@torch.no_grad()
def all_embeddings(
    model: TwoTowerRanker, inputs: TowerInputs, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """(user matrix, item matrix) for every training user and every movie.

    Up to ``FULL_CATALOGUE_UP_TO`` movies the rows are dense and the movies one batch (what
    the documented runs computed); above it rows are sparse and movies go in blocks of that
    many, so no batch is ever users × movies or movies × movies wide."""
    model.eval()
    n_items = inputs.n_items
    large = n_items > defaults.FULL_CATALOGUE_UP_TO
    block = defaults.FULL_CATALOGUE_UP_TO
    items = np.concatenate(
        [
            model.item_embeddings(
                item_batch_inputs(inputs, items=np.arange(s, min(s + block, n_items)), sparse=large)
            ).numpy()
            for s in range(0, n_items, block)
        ]
    )
    users = np.arange(inputs.train.n_users)
    chunks = [
        model.user_embeddings(
            user_batch_inputs(inputs, users[s : s + batch_size], sparse=large)
        ).numpy()
        for s in range(0, len(users), batch_size)
    ]
    return np.concatenate(chunks), items


class RankerScores:
    """A trained ranker's full-catalogue scores for its training users (a
    :class:`~recsys.models.contract.Scorer`): the towers' dot product over embeddings computed
    once, plus the co-rating readout of each user's training ratings when the model has one
    (and ``with_corating``; without it, the towers' part alone, to measure what each path
    adds). Built anew whenever the weights change, e.g. after each training epoch."""

    def __init__(
        self, model: TwoTowerRanker, inputs: TowerInputs, with_corating: bool = True
    ) -> None:
        self.user_matrix, self.item_matrix = all_embeddings(model, inputs)
        self.inputs = inputs
        self.corating = model.corating if with_corating else None

    def score(self, users: np.ndarray) -> np.ndarray:
        scores = self.user_matrix[users] @ self.item_matrix.T
        if self.corating is None:
            return scores
        spikes = torch.from_numpy(self.inputs.train.dense(users))
        with torch.no_grad():
            readout = self.corating(spikes).numpy()
        return scores + readout
