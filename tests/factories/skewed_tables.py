"""Rating tables where popularity hides niche tastes, like MovieLens does.

Everyone rates a few of twenty blockbusters (comedies, dramas, romances); each person also has
one taste among six genres and rates movies of it 5 and a couple of others 1–2. A third of the
people have a niche taste (Sci-Fi, Thriller, Horror). A model's answer for someone it knows
nothing about is then the blockbusters: the situation a genre-only newcomer is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MAINSTREAM = ("Comedy", "Drama", "Romance")
NICHE = ("Sci-Fi", "Thriller", "Horror")
N_BLOCKBUSTERS = 20
N_MOVIES = 120
FIRST_MOVIE_ID = 700_001


@dataclass(frozen=True)
class SkewedTables:
    users: pd.DataFrame
    movies: pd.DataFrame
    ratings: pd.DataFrame
    genres_of: dict[int, tuple[str, ...]]


def movie_genres(index: int) -> tuple[str, ...]:
    if index < N_BLOCKBUSTERS:
        return (MAINSTREAM[index % 3],)
    if index % 2:
        return (NICHE[(index // 2) % 3],)
    return (MAINSTREAM[(index // 2) % 3],)


def skewed_tables(n_users: int = 240, seed: int = 0) -> SkewedTables:
    rng = np.random.default_rng(seed)
    movies = pd.DataFrame(
        [
            {
                "movie_id": FIRST_MOVIE_ID + i,
                "title": f"{movie_genres(i)[0]} {'Hit' if i < N_BLOCKBUSTERS else 'Tale'} {i:03d}",
                "year": 1980 + i % 20,
                "genres": movie_genres(i),
                "description": "",
            }
            for i in range(N_MOVIES)
        ]
    )
    genres_of = dict(zip(movies.movie_id, movies.genres, strict=True))
    tail = movies[movies.movie_id >= FIRST_MOVIE_ID + N_BLOCKBUSTERS]
    users, rows = [], []
    for index in range(n_users):
        user_id = index + 1
        taste = NICHE[index % 3] if index % 3 == 0 else MAINSTREAM[index % 3]
        users.append({"user_id": user_id, "age": 30, "gender": "F", "occupation": "other",
                      "zip_code": "12345", "favourite_genres": ()})  # fmt: skip
        for i in rng.choice(N_BLOCKBUSTERS, size=8, replace=False):
            rows.append((user_id, FIRST_MOVIE_ID + int(i), int(rng.choice([3, 4, 4, 5, 5])), 0))
        mine = tail[tail.genres.map(lambda g, t=taste: g[0] == t)].movie_id.to_numpy()
        others = tail[tail.genres.map(lambda g, t=taste: g[0] != t)].movie_id.to_numpy()
        for movie_id in rng.choice(mine, size=6, replace=False):
            rows.append((user_id, int(movie_id), int(rng.choice([3, 4, 5, 5])), 0))
        for movie_id in rng.choice(others, size=2, replace=False):
            rows.append((user_id, int(movie_id), int(rng.choice([1, 2, 3])), 0))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    return SkewedTables(pd.DataFrame(users), movies, ratings, genres_of)


def train_skewed_model(out: Path, tables: SkewedTables | None = None, **overrides: Any):
    """Train the pipeline's small preset (20 epochs, one thread) on the tables; a TrainResult.

    The pipeline writes the artifact to ``out`` (calibration included)."""
    from training.pipeline import TrainConfig, train_and_evaluate

    tables = tables or skewed_tables()
    config = TrainConfig.small(**{"epochs": 20, "torch_threads": 1, **overrides})
    return train_and_evaluate(
        tables.users, tables.movies, tables.ratings, config, out, show_progress=False
    )
