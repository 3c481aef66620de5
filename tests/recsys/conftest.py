"""A tiny trained ranker on planted-genre data, shared by the model and serving tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.synthetic import planted_genre_tables
from recsys.features.items import ItemFeatureSpec
from recsys.models.contract import TrainingData
from recsys.models.fitting import FittedRanker, _fit_ranker
from recsys.models.ranker import RankerConfig
from recsys.models.towers import TowerConfig
from recsys.models.trainer import FitConfig


def tiny_ranker_config(synapse: str = "bilinear", n_blocks: int = 1) -> RankerConfig:
    tower = TowerConfig(
        hidden=32,
        n_blocks=n_blocks,
        synapse=synapse,
        num_steps=4,
        tau=2.0,
        bias_init=0.0,
        input_weight_scale=0.07,
        lambda_init=0.1,
    )
    return RankerConfig(dim=16, user=tower, item=tower, members=1, corating_gain=0.0)


def fit_ranker(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    train_ratings: pd.DataFrame,
    ranker_config: RankerConfig,
    fit_config: FitConfig,
    user_ids: np.ndarray | None = None,
    item_spec: ItemFeatureSpec | None = None,
    show_progress: bool = False,
) -> FittedRanker:
    """Fit a ranker from its two config parts on plain tables.

    The tests train tower combinations no named model pins (a BPTT tower with linear synapses,
    one member without the readout), which ``SpikingRanker(TrainConfig)`` refuses by design; so
    they call the private fit behind ``SpikingRanker.fit`` through this one helper."""
    data = TrainingData.from_tables(users, movies, train_ratings, user_ids)
    return _fit_ranker(data, ranker_config, fit_config, item_spec, show_progress=show_progress)


@pytest.fixture(scope="session", autouse=True)
def single_torch_thread():
    """Tiny models run fastest on one thread, and do not fight other processes for cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def planted():
    return planted_genre_tables(seed=0)


@pytest.fixture(scope="session")
def fitted_ranker(planted):
    return fit_ranker(
        planted.users,
        planted.movies,
        planted.ratings,
        tiny_ranker_config(),
        FitConfig(
            epochs=25,
            batch_size=32,
            weight_decay=0.0,
            history_dropout=0.5,
            item_id_dropout=0.3,
            seed=1,
        ),
        show_progress=False,
    )
