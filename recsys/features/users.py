"""User tower inputs: what the user rated, who they are, and which genres they like.

The tower is *inductive*: it reads the user's current set of rated movies instead of looking
up a trained per-user vector. A rating made a minute ago therefore changes the next
recommendation without retraining, and a brand-new user (no ratings) is embedded from the
profile and favourite genres alone — the same code path, with an empty bag.

Layout of one input row::

    [ rated-movie bag (n_items, 1/sqrt(n) each) | age | gender | occupation | zip region |
      favourite genres | genre mix of the rated movies ]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.genres import GENRES
from recsys.features.buckets import AGE_EDGES, N_ZIP_REGIONS, age_bucket, zip_region
from recsys.features.items import genre_vector
from recsys.features.schema import UserQuery

N_AGE_SLOTS = len(AGE_EDGES) + 2
GENDERS = ("M", "F")
N_FAVOURITES = 3  # genres derived per user when the profile names none


@dataclass(frozen=True)
class UserFeatureSpec:
    """Vocabulary and sizes of the profile part; stored in the artifact."""

    occupations: tuple[str, ...]
    n_items: int

    @property
    def n_profile(self) -> int:
        return N_AGE_SLOTS + len(GENDERS) + 1 + len(self.occupations) + 1 + N_ZIP_REGIONS + 1

    @property
    def n_inputs(self) -> int:
        return self.n_items + self.n_profile + 2 * len(GENRES)

    def profile_groups(self) -> list[tuple[int, int]]:
        """(start, stop) of each one-hot attribute in the profile vector; the last slot of each
        is its "unknown" value. Training hides attributes at random so unknown slots are learned."""
        sizes = (N_AGE_SLOTS, len(GENDERS) + 1, len(self.occupations) + 1, N_ZIP_REGIONS + 1)
        bounds, start = [], 0
        for size in sizes:
            bounds.append((start, start + size))
            start += size
        return bounds

    def profile_vector(self, query: UserQuery) -> np.ndarray:
        out = np.zeros(self.n_profile, dtype=np.float32)
        offset = 0
        out[offset + age_bucket(query.age)] = 1.0
        offset += N_AGE_SLOTS
        gender = str(query.gender or "").upper()
        out[offset + (GENDERS.index(gender) if gender in GENDERS else len(GENDERS))] = 1.0
        offset += len(GENDERS) + 1
        occupation = str(query.occupation or "").strip().lower()
        vocabulary = [o.lower() for o in self.occupations]
        slot = vocabulary.index(occupation) if occupation in vocabulary else len(vocabulary)
        out[offset + slot] = 1.0
        offset += len(self.occupations) + 1
        out[offset + zip_region(query.zip_code)] = 1.0
        return out

    def row(
        self,
        query: UserQuery,
        rated_items: np.ndarray,
        rated_genres: np.ndarray,
        favourite_genres: Sequence[str],
    ) -> np.ndarray:
        """One input row. ``rated_items``: item indices known to the model; ``rated_genres``:
        (n_rated, n_genres) genre rows of *all* rated movies, new ones included."""
        bag = np.zeros((1, self.n_items), dtype=np.float32)
        bag[0, rated_items] = 1.0
        bag = normalise_bags(bag)[0]
        return np.concatenate([bag, self.static_part(query, rated_genres, favourite_genres)])

    def static_part(
        self, query: UserQuery, rated_genres: np.ndarray, favourite_genres: Sequence[str]
    ) -> np.ndarray:
        """Everything after the bag: profile, favourite genres, genre mix of the rated movies.

        Kept apart from the bag because the bag is as wide as the catalogue: training keeps
        the bags in CSR form and only this part per user (at 62,000 movies the full rows of
        160,000 users would be 40 GB)."""
        mix = rated_genres.mean(0) if len(rated_genres) else np.zeros(len(GENRES), np.float32)
        return np.concatenate(
            [
                self.profile_vector(query),
                genre_vector(favourite_genres),
                mix.astype(np.float32),
            ]
        )


def normalise_bags(rated: np.ndarray) -> np.ndarray:
    """(users, n_items) 0/1 rated-movie rows → the tower's bag input, ``1/√n`` per rated movie.

    The one definition for training (after the bag dropout) and serving, so a user's input is
    the same on both paths; the square root keeps the bag's total current growing with the
    number of ratings, but slowly (a heavy rater is not a louder input)."""
    counts = rated.sum(1, keepdims=True)
    return np.divide(rated, np.sqrt(counts), out=np.zeros_like(rated), where=counts > 0)


def derive_favourite_genres(
    liked_genre_rows: np.ndarray, global_share: np.ndarray, n: int = N_FAVOURITES
) -> tuple[str, ...]:
    """The ``n`` genres most over-represented among a user's liked movies (lift over the
    catalogue-wide share). Training data has no stated favourites; deriving them this way
    teaches the tower what a stated favourite means, which is what cold start relies on."""
    if len(liked_genre_rows) == 0:
        return ()
    share = liked_genre_rows.mean(0)
    lift = share / np.maximum(global_share, 1e-6)
    order = [int(i) for i in np.argsort(-lift, kind="stable") if share[i] > 0 and lift[i] > 1.0]
    return tuple(GENRES[i] for i in order[:n])


def query_from_row(
    row: pd.Series, user_id: int, ratings: Mapping[int, float] | None = None
) -> UserQuery:
    def clean(value: object) -> object:
        return None if value is None or (isinstance(value, float) and np.isnan(value)) else value

    age = clean(row.get("age"))
    return UserQuery(
        user_id=int(user_id),
        age=None if age is None or pd.isna(age) else int(age),
        gender=clean(row.get("gender")),
        occupation=clean(row.get("occupation")),
        zip_code=clean(row.get("zip_code")),
        favourite_genres=tuple(clean(row.get("favourite_genres")) or ()),
        ratings=dict(ratings or {}),
    )
