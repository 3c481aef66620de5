"""Glue between the feature builder and the training/evaluation loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from recsys.data.genres import GENRES
from recsys.data.interactions import IdMap, UserItemRows
from recsys.features.builder import FeatureBuilder
from recsys.models.energy import recommendation_energy
from recsys.models.ranker import TwoTowerRanker
from recsys.models.training import TowerInputs, item_batch_inputs, user_batch_inputs


def build_tower_inputs(
    builder: FeatureBuilder,
    users: pd.DataFrame,
    user_map: IdMap,
    train: UserItemRows,
    item_map: IdMap,
) -> TowerInputs:
    rows = builder.training_user_rows(users, user_map, train, item_map)
    static = rows[:, builder.n_id_slots :]
    n_genres = len(GENRES)
    return TowerInputs(
        train=train,
        user_static=np.ascontiguousarray(static),
        mix_columns=slice(static.shape[1] - n_genres, static.shape[1]),
        profile_groups=tuple(builder.user_spec.profile_groups()),
        item_warm=builder.item_rows(with_ids=True),
        item_cold=builder.item_rows(with_ids=False),
    )


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


def energy_summary(
    model: TwoTowerRanker, inputs: TowerInputs, max_users: int = 512
) -> dict[str, float]:
    """Estimated energy of one recommendation (:mod:`recsys.models.energy`) over real users."""
    users = np.arange(min(inputs.train.n_users, max_users))
    report = recommendation_energy(
        model,
        user_batch_inputs(inputs, users),
        inputs.train.counts()[users],
        inputs.train.n_items,
    )
    return report.summary()


@torch.no_grad()
def spike_rates(
    model: TwoTowerRanker, inputs: TowerInputs, max_users: int = 512
) -> dict[str, float]:
    """Mean firing probability per block of each tower on real inputs (mean over members)."""
    users = np.arange(min(inputs.train.n_users, max_users))
    x_user, x_item = user_batch_inputs(inputs, users), item_batch_inputs(inputs)
    per_member = [
        {
            f"spike_rate/{side}/block{index}": rate
            for side, tower, x in (
                ("user", pair.user_tower, x_user),
                ("item", pair.item_tower, x_item),
            )
            for index, rate in enumerate(tower.spike_rates(x))
        }
        for pair in model.members
    ]
    return {key: float(np.mean([rates[key] for rates in per_member])) for key in per_member[0]}
