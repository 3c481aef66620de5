"""From rating tables to a trained ranker, in index space and back (no split, no files).

The training pipeline adds the protocol split, evaluation and the artifact around this; tests
and notebooks can call it directly on any tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recsys.data.interactions import IdMap, build_rows
from recsys.features.builder import FeatureBuilder
from recsys.features.items import ItemFeatureSpec
from recsys.models.inputs import all_embeddings, build_tower_inputs
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.training import EpochReport, FitConfig, TowerInputs, fit_two_tower


@dataclass
class FittedRanker:
    model: TwoTowerRanker
    builder: FeatureBuilder
    inputs: TowerInputs
    user_map: IdMap
    item_map: IdMap
    history: list[EpochReport]

    def item_matrix(self) -> np.ndarray:
        return all_embeddings(self.model, self.inputs)[1]


def prepare(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    train_ratings: pd.DataFrame,
    user_ids: np.ndarray | None = None,
    item_spec: ItemFeatureSpec | None = None,
) -> tuple[FeatureBuilder, TowerInputs, IdMap, IdMap]:
    """Id maps, fitted feature builder and tower inputs for a training table."""
    if user_ids is None:
        user_ids = np.union1d(
            users["user_id"].to_numpy(np.int64), train_ratings["user_id"].to_numpy()
        )
    user_map = IdMap(np.asarray(user_ids, dtype=np.int64))
    item_map = IdMap(movies["movie_id"].to_numpy(np.int64))
    train = build_rows(train_ratings, user_map, item_map)
    builder = FeatureBuilder.fit(movies, users, train, item_map, item_spec)
    return (
        builder,
        build_tower_inputs(builder, users, user_map, train, item_map),
        user_map,
        item_map,
    )


def fit_ranker(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    train_ratings: pd.DataFrame,
    ranker_config: RankerConfig,
    fit_config: FitConfig,
    user_ids: np.ndarray | None = None,
    item_spec: ItemFeatureSpec | None = None,
    evaluate: Callable[[TwoTowerRanker, TowerInputs], float] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    show_progress: bool = True,
) -> FittedRanker:
    builder, inputs, user_map, item_map = prepare(users, movies, train_ratings, user_ids, item_spec)
    ranker_config = ranker_config.fitted_to(len(item_map))
    torch.manual_seed(fit_config.seed)
    model = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config)
    if model.corating is not None:
        # Closed form and independent of the towers: fitted first, so the per-epoch monitor
        # already scores the whole model.
        model.corating.fit(inputs.train, fit_config.corating_l2)
    history = fit_two_tower(
        model,
        inputs,
        fit_config,
        evaluate=(lambda m: evaluate(m, inputs)) if evaluate is not None else None,
        on_epoch=on_epoch,
        show_progress=show_progress,
    )
    return FittedRanker(model, builder, inputs, user_map, item_map, history)
