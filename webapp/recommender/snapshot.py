"""A consistent copy of what the site knows, in the tables the training pipeline reads.

Ids are the site's primary keys, so ratings and uploads made on the site take part in training
exactly like the imported MovieLens rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction

from recsys.constants import MOVIE_ID, RATING, TIMESTAMP, USER_ID
from webapp.accounts.models import Profile
from webapp.catalog.models import Movie, Rating


@dataclass(frozen=True)
class Snapshot:
    users: pd.DataFrame
    movies: pd.DataFrame
    ratings: pd.DataFrame


def take_snapshot() -> Snapshot:
    """Read users, movies and ratings in one transaction so the three tables agree.

    Rows come ordered by id: the model's initialisation follows row order, so a fixed order
    makes the site's training repeatable and identical to training on the raw MovieLens files.
    """
    with transaction.atomic():
        ratings = pd.DataFrame.from_records(
            Rating.objects.order_by(USER_ID, MOVIE_ID)
            .values_list(USER_ID, MOVIE_ID, "score", "rated_at")
            .iterator(chunk_size=20_000),
            columns=[USER_ID, MOVIE_ID, RATING, TIMESTAMP],
        )
        movies = _movies()
        users = _users()
    if len(ratings):
        ratings[TIMESTAMP] = (
            pd.to_datetime(ratings[TIMESTAMP], utc=True).astype("int64") // 1_000_000_000
        )
    ratings = ratings.astype({USER_ID: "int64", MOVIE_ID: "int64", RATING: "int64"})
    return Snapshot(users=users, movies=movies, ratings=ratings)


def _movies() -> pd.DataFrame:
    genres: dict[int, list[str]] = defaultdict(list)
    for movie_id, name in Movie.genres.through.objects.values_list(MOVIE_ID, "genre__name"):
        genres[movie_id].append(name)
    rows = [
        {
            MOVIE_ID: pk,
            "title": title,
            "year": year,
            "genres": tuple(sorted(genres.get(pk, ()))),
            "description": description or "",
        }
        for pk, title, year, description in Movie.objects.order_by("pk")
        .values_list("pk", "title", "year", "description")
        .iterator(chunk_size=5000)
    ]
    frame = pd.DataFrame(rows, columns=[MOVIE_ID, "title", "year", "genres", "description"])
    frame["year"] = frame["year"].astype("Int64")
    return frame


def _users() -> pd.DataFrame:
    favourites: dict[int, list[str]] = defaultdict(list)
    for user_id, name in Profile.favourite_genres.through.objects.values_list(
        "profile__user_id", "genre__name"
    ):
        favourites[user_id].append(name)
    # From the users table, so a rater without a profile (an admin, say) is still present.
    people = (
        get_user_model()
        .objects.order_by("pk")
        .values_list(
            "pk", "profile__age", "profile__gender", "profile__occupation", "profile__zip_code"
        )
    )
    rows = [
        {
            USER_ID: user_id,
            "age": age,
            "gender": gender or None,
            "occupation": occupation or None,
            "zip_code": zip_code or None,
            "favourite_genres": tuple(sorted(favourites.get(user_id, ()))),
        }
        for user_id, age, gender, occupation, zip_code in people.iterator(chunk_size=5000)
    ]
    frame = pd.DataFrame(
        rows, columns=[USER_ID, "age", "gender", "occupation", "zip_code", "favourite_genres"]
    )
    frame["age"] = frame["age"].astype("Int64")
    return frame
