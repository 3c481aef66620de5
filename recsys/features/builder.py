"""Turn tables (training) or queries (serving) into tower input rows, identically.

One object owns every vocabulary and statistic the inputs depend on (item id slots, occupation
list, genre shares, popularity counts). It is saved in the artifact, so a web process rebuilds
exactly the rows the model was trained on without seeing the training data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.constants import LIKED_STARS, MOVIE_ID, USER_ID
from recsys.data.genres import GENRES
from recsys.data.interactions import IdMap, UserItemRows
from recsys.features.buckets import POPULARITY_EDGES
from recsys.features.items import (
    N_POPULARITY_SLOTS,
    N_YEAR_SLOTS,
    ItemFeatureSpec,
    content_from_row,
    genre_vector,
    item_inputs,
)
from recsys.features.schema import ItemContent, UserQuery
from recsys.features.users import (
    UserFeatureSpec,
    derive_favourite_genres,
    query_from_row,
)


@dataclass
class FeatureBuilder:
    """Everything needed to build inputs; see :meth:`fit` and :meth:`to_state`."""

    item_ids: np.ndarray  # id slot i belongs to movie item_ids[i]
    item_genres: np.ndarray  # (n_items, n_genres) for every movie the model can score
    item_content: np.ndarray  # (n_items, n_content) content part of each movie's input
    global_genre_share: np.ndarray
    user_spec: UserFeatureSpec
    item_spec: ItemFeatureSpec

    # ------------------------------------------------------------------ building

    @classmethod
    def fit(
        cls,
        movies: pd.DataFrame,
        users: pd.DataFrame,
        train: UserItemRows,
        item_map: IdMap,
        item_spec: ItemFeatureSpec | None = None,
    ) -> FeatureBuilder:
        """Vocabularies from the tables, statistics from the *train* ratings only."""
        item_spec = item_spec or ItemFeatureSpec()
        by_id = movies.set_index(MOVIE_ID)
        contents = [content_from_row(by_id.loc[int(i)]) for i in item_map.ids]
        counts = train.item_counts()
        genres = (
            np.stack([genre_vector(c.genres) for c in contents])
            if contents
            else np.zeros((0, len(GENRES)), np.float32)
        )
        rated_genres = genres[train.items] if len(train.items) else genres[:0]
        share = rated_genres.mean(0) if len(rated_genres) else np.full(len(GENRES), 1 / len(GENRES))
        occupations = ()
        if "occupation" in users.columns:
            occupations = tuple(
                sorted(
                    {str(o).strip().lower() for o in users["occupation"].dropna() if str(o).strip()}
                )
            )
        return cls(
            item_ids=item_map.ids.copy(),
            item_genres=genres.astype(np.float32),
            item_content=item_spec.content_matrix(contents, counts),
            global_genre_share=share.astype(np.float32),
            user_spec=UserFeatureSpec(occupations=occupations, n_items=len(item_map)),
            item_spec=item_spec,
        )

    @property
    def n_id_slots(self) -> int:
        return self.user_spec.n_items

    @property
    def n_user_inputs(self) -> int:
        return self.user_spec.n_inputs

    @property
    def n_item_inputs(self) -> int:
        return self.n_id_slots + self.item_spec.n_content

    # ------------------------------------------------------------------ items

    def item_rows(self, with_ids: bool = True) -> np.ndarray:
        """Inputs of every known movie; ``with_ids=False`` gives the content-only ("cold") rows
        with the popularity slot of a movie nobody has rated, i.e. what a fresh upload looks like."""
        n = len(self.item_content)
        if with_ids:
            slots = np.where(np.arange(n) < self.n_id_slots, np.arange(n), -1)
            return item_inputs(self.n_id_slots, slots, self.item_content)
        return item_inputs(self.n_id_slots, np.full(n, -1), self.cold_item_content())

    def cold_item_content(self) -> np.ndarray:
        """Every movie's content part as a fresh upload's: popularity reset to "never rated"."""
        cold = self.item_content.copy()
        first = len(GENRES) + N_YEAR_SLOTS
        popularity = slice(first, first + N_POPULARITY_SLOTS)
        cold[:, popularity] = 0.0
        cold[:, popularity.start] = 1.0
        return cold

    def rating_floor(self) -> np.ndarray:
        """At least how many training ratings each movie had, read from its popularity slot
        (the slot's lower edge; 0 for a movie nobody rated): what serving knows of a movie's
        evidence without the ratings themselves."""
        first = len(GENRES) + N_YEAR_SLOTS
        slots = self.item_content[:, first : first + N_POPULARITY_SLOTS].argmax(1)
        return np.asarray((0, *POPULARITY_EDGES), dtype=np.float64)[slots]

    def new_item_row(self, content: ItemContent) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tower input, content vector, genre vector) of a movie the model has never seen."""
        vector = self.item_spec.content_vector(content, n_ratings=0)
        row = item_inputs(self.n_id_slots, np.array([-1]), vector[None, :])[0]
        return row, vector, genre_vector(content.genres)

    def append_items(self, contents: Sequence[np.ndarray], genres: Sequence[np.ndarray]) -> None:
        """Remember new movies' content so later user queries can read their genres."""
        if len(contents):
            self.item_content = np.vstack([self.item_content, np.stack(contents)])
            self.item_genres = np.vstack([self.item_genres, np.stack(genres)])

    # ------------------------------------------------------------------ users

    def user_row(self, query: UserQuery, item_index: IdMap) -> np.ndarray:
        """Input row for any user, known or not, from their *current* ratings.

        Movies the id map does not know are skipped for the bag but still count for the genre
        mix and favourite-genre derivation when their genres were registered via
        :meth:`append_items` (they are then in ``item_index``).
        """
        in_bag, rated_genres, favourites = self._user_parts(query, item_index)
        return self.user_spec.row(query, in_bag, rated_genres, favourites)

    def user_static(self, query: UserQuery, item_index: IdMap) -> np.ndarray:
        """:meth:`user_row` without the rated-movie bag (the columns after ``n_id_slots``)."""
        _, rated_genres, favourites = self._user_parts(query, item_index)
        return self.user_spec.static_part(query, rated_genres, favourites)

    def _user_parts(
        self, query: UserQuery, item_index: IdMap
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """(bag item indices, genre rows of every rated movie, favourite genres)."""
        rated = [
            (item_index.get(movie), float(rating))
            for movie, rating in query.ratings.items()
            if item_index.get(movie) >= 0
        ]
        all_rated = np.array([i for i, _ in rated], dtype=np.int64)
        in_bag = all_rated[all_rated < self.n_id_slots]
        rated_genres = self.item_genres[all_rated] if len(all_rated) else self.item_genres[:0]
        favourites = tuple(query.favourite_genres)
        if not favourites:
            liked = np.array([i for i, r in rated if r >= LIKED_STARS], dtype=np.int64)
            favourites = derive_favourite_genres(self.item_genres[liked], self.global_genre_share)
        return in_bag, rated_genres, favourites

    def training_user_static(
        self, users: pd.DataFrame, user_map: IdMap, train: UserItemRows, item_map: IdMap
    ) -> np.ndarray:
        """:meth:`user_static` of every training user from their *train* ratings only (no test
        leak); the bag part of their rows is ``train`` itself (see ``TowerInputs``)."""
        by_id = users.set_index(USER_ID) if len(users) else users
        known = set(by_id.index) if len(users) else set()
        rows = []
        for index, user_id in enumerate(user_map.ids):
            ratings = {
                int(item_map.ids[i]): float(r)
                for i, r in zip(train.items_of(index), train.ratings_of(index), strict=True)
            }
            if int(user_id) in known:
                query = query_from_row(by_id.loc[int(user_id)], int(user_id), ratings)
            else:
                query = UserQuery(user_id=int(user_id), ratings=ratings)
            rows.append(self.user_static(query, item_map))
        width = self.n_user_inputs - self.n_id_slots
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, width), np.float32)

    # ------------------------------------------------------------------ persistence

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able settings, arrays) for the artifact."""
        settings = {
            "occupations": list(self.user_spec.occupations),
            "n_id_slots": self.n_id_slots,
            "n_text_buckets": self.item_spec.n_text_buckets,
        }
        arrays = {
            "item_ids": self.item_ids,
            "item_genres": self.item_genres,
            "item_content": self.item_content,
            "global_genre_share": self.global_genre_share,
        }
        return settings, arrays

    @classmethod
    def from_state(cls, settings: dict, arrays: dict[str, np.ndarray]) -> FeatureBuilder:
        return cls(
            item_ids=np.asarray(arrays["item_ids"], dtype=np.int64),
            item_genres=np.asarray(arrays["item_genres"], dtype=np.float32),
            item_content=np.asarray(arrays["item_content"], dtype=np.float32),
            global_genre_share=np.asarray(arrays["global_genre_share"], dtype=np.float32),
            user_spec=UserFeatureSpec(
                occupations=tuple(settings["occupations"]), n_items=int(settings["n_id_slots"])
            ),
            item_spec=ItemFeatureSpec(n_text_buckets=int(settings["n_text_buckets"])),
        )
