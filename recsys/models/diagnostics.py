"""Measurements of a trained ranker on its training users: spike rates and energy per
recommendation. Reported with every model version; nothing here changes a score."""

from __future__ import annotations

import numpy as np
import torch

from recsys.metrics import names
from recsys.models import defaults
from recsys.models.batches import TowerInputs, item_batch_inputs, user_batch_inputs
from recsys.models.energy import recommendation_energy
from recsys.models.ranker import TwoTowerRanker


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
    # Above the full-catalogue limit the rows go in CSR form and the first 8,192 movies are
    # measured: the dense rows of every movie would be movies × movies wide.
    large = inputs.n_items > defaults.FULL_CATALOGUE_UP_TO
    items = np.arange(min(inputs.n_items, defaults.FULL_CATALOGUE_UP_TO))
    x_user = user_batch_inputs(inputs, users, sparse=large)
    x_item = item_batch_inputs(inputs, items=items if large else None, sparse=large)
    per_member = [
        {
            names.spike_rate(side, index): rate
            for side, tower, x in (
                ("user", pair.user_tower, x_user),
                ("item", pair.item_tower, x_item),
            )
            for index, rate in enumerate(tower.spike_rates(x))
        }
        for pair in model.members
    ]
    return {key: float(np.mean([rates[key] for rates in per_member])) for key in per_member[0]}
