"""Small synthetic rating tables with a planted preference structure.

Every user has one favourite genre and mostly rates (highly) movies of that genre. A model that
learns anything at all must rank a user's favourite-genre movies first, which makes these
tables a sharp, fast test of training code and of the cold-start paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.constants import MOVIE_ID, RATING, TIMESTAMP, USER_ID

PLANTED_GENRES = ("Horror", "Comedy", "Romance", "Sci-Fi")


@dataclass(frozen=True)
class PlantedTables:
    users: pd.DataFrame
    movies: pd.DataFrame
    ratings: pd.DataFrame
    user_genre: dict[int, str]  # the planted favourite of each user


def planted_genre_tables(
    n_users: int = 120,
    n_movies: int = 80,
    ratings_per_user: int = 16,
    on_genre_share: float = 0.85,
    genres: tuple[str, ...] = PLANTED_GENRES,
    seed: int = 0,
) -> PlantedTables:
    rng = np.random.default_rng(seed)
    movie_genre = [genres[i % len(genres)] for i in range(n_movies)]
    movies = pd.DataFrame(
        {
            MOVIE_ID: np.arange(1, n_movies + 1) * 10,  # ids that are not indices
            "title": [f"{g} story {i}" for i, g in enumerate(movie_genre)],
            "year": rng.integers(1960, 1999, size=n_movies),
            "genres": [(g,) for g in movie_genre],
        }
    )
    users = pd.DataFrame(
        {
            USER_ID: np.arange(1, n_users + 1) + 1000,
            "age": rng.integers(15, 70, size=n_users),
            "gender": rng.choice(["M", "F"], size=n_users),
            "occupation": rng.choice(["student", "engineer", "artist"], size=n_users),
            "zip_code": [
                f"{rng.integers(0, 10)}{rng.integers(1000, 9999)}" for _ in range(n_users)
            ],
        }
    )
    by_genre = {g: movies[MOVIE_ID].to_numpy()[[mg == g for mg in movie_genre]] for g in genres}
    rows, user_genre = [], {}
    for index, user_id in enumerate(users[USER_ID]):
        favourite = genres[index % len(genres)]
        user_genre[int(user_id)] = favourite
        n_on = int(round(ratings_per_user * on_genre_share))
        on = rng.choice(
            by_genre[favourite], size=min(n_on, len(by_genre[favourite])), replace=False
        )
        others = movies[MOVIE_ID].to_numpy()[[g != favourite for g in movie_genre]]
        off = rng.choice(others, size=ratings_per_user - len(on), replace=False)
        for movie in on:
            rows.append((int(user_id), int(movie), 5, 0))
        for movie in off:
            rows.append((int(user_id), int(movie), 2, 0))
    ratings = pd.DataFrame(rows, columns=[USER_ID, MOVIE_ID, RATING, TIMESTAMP])
    return PlantedTables(users=users, movies=movies, ratings=ratings, user_genre=user_genre)
