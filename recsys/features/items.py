"""Item tower inputs: a one-hot id for movies seen in training, plus content for every movie.

The content part (genres, year bucket, popularity bucket, hashed title/description words) is
what lets a movie uploaded after training get an embedding: it simply has no id slot. Training
drops the id of a random share of movies so the tower also learns to embed from content alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.genres import GENRES
from recsys.features.buckets import (
    POPULARITY_EDGES,
    YEAR_EDGES,
    hashed_words,
    popularity_bucket,
    year_bucket,
)
from recsys.features.schema import ItemContent

_GENRE_INDEX = {genre: i for i, genre in enumerate(GENRES)}
N_YEAR_SLOTS = len(YEAR_EDGES) + 2
N_POPULARITY_SLOTS = len(POPULARITY_EDGES) + 1


def genre_vector(genres: Sequence[str]) -> np.ndarray:
    """Multi-hot over :data:`GENRES`; unknown genre names are ignored."""
    out = np.zeros(len(GENRES), dtype=np.float32)
    for genre in genres or ():
        index = _GENRE_INDEX.get(str(genre))
        if index is not None:
            out[index] = 1.0
    return out


def content_from_row(row: pd.Series) -> ItemContent:
    year = row.get("year")
    description = row.get("description", "")
    return ItemContent(
        title=str(row.get("title", "") or ""),
        year=None if year is None or pd.isna(year) else int(year),
        genres=tuple(row.get("genres", ()) or ()),
        description=""
        if description is None or (isinstance(description, float))
        else str(description),
    )


@dataclass(frozen=True)
class ItemFeatureSpec:
    """Sizes of the content vector; stored in the artifact so serving rebuilds it exactly."""

    n_text_buckets: int = 32

    @property
    def n_content(self) -> int:
        return len(GENRES) + N_YEAR_SLOTS + N_POPULARITY_SLOTS + self.n_text_buckets

    def content_vector(self, content: ItemContent, n_ratings: int = 0) -> np.ndarray:
        genres = genre_vector(content.genres)
        year = np.zeros(N_YEAR_SLOTS, dtype=np.float32)
        year[year_bucket(content.year)] = 1.0
        popularity = np.zeros(N_POPULARITY_SLOTS, dtype=np.float32)
        popularity[popularity_bucket(n_ratings)] = 1.0
        text = np.zeros(self.n_text_buckets, dtype=np.float32)
        if self.n_text_buckets:
            words = hashed_words(f"{content.title} {content.description}", self.n_text_buckets)
            for bucket in words:
                text[bucket] += 1.0
            if words:
                text /= np.sqrt(len(words))
        return np.concatenate([genres, year, popularity, text])

    def content_matrix(self, contents: Sequence[ItemContent], n_ratings: np.ndarray) -> np.ndarray:
        if len(contents) == 0:
            return np.zeros((0, self.n_content), dtype=np.float32)
        return np.stack(
            [self.content_vector(c, int(n)) for c, n in zip(contents, n_ratings, strict=True)]
        )


def item_inputs(n_id_slots: int, id_slots: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Tower input rows ``[one-hot id | content]``; ``id_slots[i] < 0`` means "no id" (new movie)."""
    out = np.zeros((len(content), n_id_slots + content.shape[1]), dtype=np.float32)
    has_id = id_slots >= 0
    out[np.flatnonzero(has_id), id_slots[has_id]] = 1.0
    out[:, n_id_slots:] = content
    return out
