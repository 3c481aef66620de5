"""Rating tables as index-based sparse rows, the shape every model and metric works on.

Ids in the tables are whatever the caller uses (MovieLens ids, database keys); models need dense
0..n-1 indices. :class:`IdMap` owns that translation in one place so an index can never be
mistaken for an id. Rows are stored CSR-style in plain numpy: light enough for a web process,
no SciPy needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.constants import MOVIE_ID, RATING, USER_ID


@dataclass(frozen=True)
class IdMap:
    """A bijection between external ids and dense indices ``0..len-1``."""

    ids: np.ndarray

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("ids must be unique")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "_index", {int(v): i for i, v in enumerate(ids)})

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, external_id: object) -> bool:
        return int(external_id) in self._index  # type: ignore[call-overload]

    def index_of(self, external_id: int) -> int:
        return self._index[int(external_id)]

    def get(self, external_id: int, default: int = -1) -> int:
        return self._index.get(int(external_id), default)

    def indices_of(self, external_ids: Iterable[int]) -> np.ndarray:
        """Indices of the known ids; unknown ids are dropped (they cannot be scored anyway)."""
        found = [self._index[int(i)] for i in external_ids if int(i) in self._index]
        return np.asarray(found, dtype=np.int64)

    def extended(self, new_ids: Sequence[int]) -> IdMap:
        return IdMap(np.concatenate([self.ids, np.asarray(new_ids, dtype=np.int64)]))


@dataclass(frozen=True)
class UserItemRows:
    """For each user index, the item indices they rated and the ratings, CSR layout."""

    indptr: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    n_items: int

    @property
    def n_users(self) -> int:
        return len(self.indptr) - 1

    def items_of(self, user: int) -> np.ndarray:
        return self.items[self.indptr[user] : self.indptr[user + 1]]

    def ratings_of(self, user: int) -> np.ndarray:
        return self.ratings[self.indptr[user] : self.indptr[user + 1]]

    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.items, minlength=self.n_items)

    def dense(self, users: np.ndarray | None = None, values: bool = False) -> np.ndarray:
        """A (len(users), n_items) float32 matrix; 1 for rated or the rating if ``values``."""
        users = np.arange(self.n_users) if users is None else np.asarray(users)
        out = np.zeros((len(users), self.n_items), dtype=np.float32)
        for row, user in enumerate(users):
            lo, hi = self.indptr[user], self.indptr[user + 1]
            out[row, self.items[lo:hi]] = self.ratings[lo:hi] if values else 1.0
        return out

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(user index, item index) for every stored rating."""
        return np.repeat(np.arange(self.n_users), self.counts()), self.items


def build_rows(ratings: pd.DataFrame, user_map: IdMap, item_map: IdMap) -> UserItemRows:
    """Index a rating table; ratings of users or movies outside the maps are ignored."""
    user_idx = ratings[USER_ID].map(lambda u: user_map.get(u)).to_numpy(dtype=np.int64)
    item_idx = ratings[MOVIE_ID].map(lambda m: item_map.get(m)).to_numpy(dtype=np.int64)
    values = ratings[RATING].to_numpy(dtype=np.float32)
    keep = (user_idx >= 0) & (item_idx >= 0)
    user_idx, item_idx, values = user_idx[keep], item_idx[keep], values[keep]
    order = np.lexsort((item_idx, user_idx))
    user_idx, item_idx, values = user_idx[order], item_idx[order], values[order]
    indptr = np.zeros(len(user_map) + 1, dtype=np.int64)
    np.cumsum(np.bincount(user_idx, minlength=len(user_map)), out=indptr[1:])
    return UserItemRows(indptr=indptr, items=item_idx, ratings=values, n_items=len(item_map))


@dataclass(frozen=True)
class IndexedSplit:
    """The split in index space: what evaluation and training consume."""

    user_map: IdMap
    item_map: IdMap
    train: UserItemRows
    test: UserItemRows

    @classmethod
    def from_tables(
        cls,
        train: pd.DataFrame,
        test: pd.DataFrame,
        user_ids: Sequence[int],
        item_ids: Sequence[int],
    ) -> IndexedSplit:
        user_map, item_map = IdMap(np.asarray(user_ids)), IdMap(np.asarray(item_ids))
        return cls(
            user_map=user_map,
            item_map=item_map,
            train=build_rows(train, user_map, item_map),
            test=build_rows(test, user_map, item_map),
        )

    def eval_users(self) -> np.ndarray:
        """Users with at least one test rating: the protocol averages over exactly these."""
        return np.flatnonzero(self.test.counts() > 0)
