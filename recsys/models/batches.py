"""A training batch's tower inputs, built from index-space training data.

The towers read wide, sparse rows: a user's row starts with the rated-movie bag (one column per
movie), a movie's with its one-hot id. :class:`TowerInputs` keeps what those rows are made of —
the train ratings in CSR form, each user's profile part, each movie's content — and the
functions here assemble the rows of one batch, with the training corruptions, on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recsys.data.interactions import UserItemRows
from recsys.features.users import normalise_bags


@dataclass(frozen=True)
class TowerInputs:
    """Training inputs in index space.

    ``user_static``: per user, everything after the bag (profile, favourites, genre mix);
    ``mix_columns``: where the genre mix sits inside ``user_static`` (zeroed with the history);
    ``profile_groups``: (start, stop) of each one-hot attribute in ``user_static``, last = unknown;
    ``item_warm`` / ``item_cold``: item rows with and without id (and popularity) information.
    """

    train: UserItemRows
    user_static: np.ndarray
    mix_columns: slice
    profile_groups: tuple[tuple[int, int], ...]
    item_warm: np.ndarray
    item_cold: np.ndarray


def user_batch_inputs(
    inputs: TowerInputs,
    users: np.ndarray,
    rng: np.random.Generator | None = None,
    bag_dropout: float = 0.0,
    history_dropout: float = 0.0,
    profile_dropout: float = 0.0,
) -> Tensor:
    """Tower input rows for ``users``; with ``rng``, the training corruptions are applied."""
    bag = inputs.train.dense(users)
    static = inputs.user_static[users].copy()
    if rng is not None and bag_dropout > 0:
        bag *= rng.random(bag.shape) >= bag_dropout
    if rng is not None and history_dropout > 0:
        forget = rng.random(len(users)) < history_dropout
        bag[forget] = 0.0
        static[forget, inputs.mix_columns] = 0.0
    if rng is not None and profile_dropout > 0:
        for start, stop in inputs.profile_groups:
            hide = rng.random(len(users)) < profile_dropout
            static[hide, start:stop] = 0.0
            static[hide, stop - 1] = 1.0
    return torch.from_numpy(np.concatenate([normalise_bags(bag), static], axis=1))


def item_batch_inputs(
    inputs: TowerInputs, rng: np.random.Generator | None = None, id_dropout: float = 0.0
) -> Tensor:
    rows = inputs.item_warm
    if rng is not None and id_dropout > 0:
        hide = rng.random(len(rows)) < id_dropout
        rows = np.where(hide[:, None], inputs.item_cold, rows)
    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))
