"""The contract every recommender keeps: fit on the training rows, score the whole catalogue.

Modelled on RecBole's ``AbstractRecommender.full_sort_predict`` and scikit-learn's estimators:
settings go to the constructor (each model has its own config type), ``fit`` takes the same
:class:`TrainingData` for every model and returns the model, and ``score`` returns one row of
scores over the *whole* catalogue per user. The evaluation harness needs nothing else, so
most-popular, item-kNN, BPR-MF, EASE, Mult-DAE and the spiking ranker are judged by one loop.

Two capabilities sit beside the contract, because not every model has them:

* :class:`QueryScorer` — scores for people the model was not fitted on, from what they rated
  (and their profile, for models that read one). This is what the site serves: the spiking
  ranker fitted in training, the artifact it is loaded from (``recsys.serving.Recommender``)
  and the item-based baselines have it; BPR-MF does not, since it has a trained vector per
  training user and nothing to compute one for a stranger from.
* :class:`Scorer` alone — what the harness reads: anything with ``score(users)``, e.g. a
  ranker's scores in the middle of training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.interactions import IdMap, IndexedSplit, UserItemRows, build_rows
from recsys.features.schema import UserQuery


@dataclass(frozen=True)
class TrainingData:
    """What every model is fitted on.

    ``rows``: the training ratings in index space (user index → rated item indices), over the
    catalogue ``item_map`` (every movie, rated in train or not) and the users ``user_map``.
    ``users`` (profiles) and ``movies`` (content) are the side tables content-aware models
    read; models of the rating matrix alone ignore them.
    """

    rows: UserItemRows
    user_map: IdMap
    item_map: IdMap
    users: pd.DataFrame | None = None
    movies: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.rows.n_users != len(self.user_map) or self.rows.n_items != len(self.item_map):
            raise ValueError(
                f"rows are {self.rows.n_users} users × {self.rows.n_items} items, the id maps "
                f"{len(self.user_map)} × {len(self.item_map)}"
            )

    @property
    def n_items(self) -> int:
        return len(self.item_map)

    @classmethod
    def from_split(
        cls,
        split: IndexedSplit,
        users: pd.DataFrame | None = None,
        movies: pd.DataFrame | None = None,
    ) -> TrainingData:
        """The training part of an indexed split (the test part stays with the harness)."""
        return cls(split.train, split.user_map, split.item_map, users, movies)

    @classmethod
    def from_tables(
        cls,
        users: pd.DataFrame,
        movies: pd.DataFrame,
        train_ratings: pd.DataFrame,
        user_ids: Sequence[int] | np.ndarray | None = None,
    ) -> TrainingData:
        """Index a training table: users are ``user_ids`` (default: every user in the profile or
        rating table, sorted), the catalogue is the movie table in its order."""
        if user_ids is None:
            user_ids = np.union1d(
                users[USER_ID].to_numpy(np.int64), train_ratings[USER_ID].to_numpy()
            )
        user_map = IdMap(np.asarray(user_ids, dtype=np.int64))
        item_map = IdMap(movies[MOVIE_ID].to_numpy(np.int64))
        return cls(build_rows(train_ratings, user_map, item_map), user_map, item_map, users, movies)

    def bags(self, queries: Sequence[UserQuery]) -> np.ndarray:
        """(len(queries), n_items) 0/1 rows of the catalogue movies each query rated, as
        :meth:`UserItemRows.dense` builds them for training users; unknown movies are skipped."""
        bags = np.zeros((len(queries), self.n_items), dtype=np.float32)
        for row, query in enumerate(queries):
            known = [m for m in query.ratings if m in self.item_map]
            bags[row, self.item_map.indices_of(known)] = 1.0
        return bags


@runtime_checkable
class Scorer(Protocol):
    """Anything the harness can rank: full-catalogue scores for training users."""

    def score(self, users: np.ndarray) -> np.ndarray:
        """(len(users), n_items) scores for user *indices* of the data the model was fitted on.

        Higher is better. Every movie gets a finite score, the user's training movies
        included: masking what a user has seen is the caller's job (the harness masks the
        training rows, serving the query's ratings), so every model is masked alike.
        """
        ...


@runtime_checkable
class RecommenderModel(Scorer, Protocol):
    """A recommender: fitted on :class:`TrainingData`, then scores through :class:`Scorer`."""

    def fit(self, data: TrainingData) -> Self:
        """Fit on ``data`` and return the model itself (settings came with the constructor)."""
        ...


@runtime_checkable
class QueryScorer(Protocol):
    """Scores for anyone, known to the model or not, from their current ratings and profile."""

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        """(len(queries), n_items) scores; the same masking rule as :meth:`Scorer.score`."""
        ...
