"""Bring MovieLens-100K into the site's database.

Everything is read and validated before the first write, and all writes happen in one
transaction, so a bad source leaves the database exactly as it was. Rows already present (matched
by their MovieLens ids) are skipped, which makes a second run add nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.genres import GENRES
from recsys.data.movielens import MovieLens, load_movielens_100k
from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.stats import refresh_movie_stats

BATCH_SIZE = 2000
MOVIELENS_USERNAME = "movielens-{id}"
T = TypeVar("T")

Progress = Callable[[str, int], None]
"""Called with (stage, rows just written) so a command can drive progress bars."""


class ImportConflictError(Exception):
    """The database holds something that contradicts the source; nothing was imported."""


@dataclass(frozen=True)
class ImportSummary:
    users_created: int
    movies_created: int
    ratings_created: int
    source: str


def import_movielens(path: Path | None = None, progress: Progress | None = None) -> ImportSummary:
    """Load MovieLens-100K (``path`` or the default sources) and add what the database lacks."""
    data = load_movielens_100k(path)
    report = progress or (lambda stage, n: None)
    with transaction.atomic():
        genres = _ensure_genres()
        users_created, user_pk = _import_users(data, genres, report)
        movies_created, movie_pk = _import_movies(data, genres, report)
        ratings_created, touched = _import_ratings(data, user_pk, movie_pk, report)
        refresh_movie_stats(touched)
    return ImportSummary(users_created, movies_created, ratings_created, data.source)


def _ensure_genres() -> dict[str, Genre]:
    existing = {g.name: g for g in Genre.objects.all()}
    missing = [Genre(name=name) for name in GENRES if name not in existing]
    Genre.objects.bulk_create(missing)
    return {g.name: g for g in Genre.objects.filter(name__in=GENRES)}


def _import_users(
    data: MovieLens, genres: dict[str, Genre], report: Progress
) -> tuple[int, dict[int, int]]:
    User = get_user_model()
    known = dict(
        Profile.objects.filter(movielens_id__isnull=False).values_list("movielens_id", USER_ID)
    )
    new_rows = data.users[~data.users[USER_ID].isin(known)]
    # One unusable hash shared by all imported people: they exist to carry ratings, not to log in.
    unusable = make_password(None)
    usernames = {
        int(r.user_id): MOVIELENS_USERNAME.format(id=int(r.user_id)) for r in new_rows.itertuples()
    }
    clashes = set(
        User.objects.filter(username__in=usernames.values()).values_list("username", flat=True)
    )
    if clashes:
        raise ImportConflictError(
            f"Cannot import MovieLens users: usernames already taken by site accounts: "
            f"{', '.join(sorted(clashes)[:5])}"
        )
    users = [User(username=name, password=unusable, is_active=True) for name in usernames.values()]
    for batch in _batches(users):
        User.objects.bulk_create(batch)
        report("users", len(batch))
    created_pk = dict(
        User.objects.filter(username__in=usernames.values()).values_list("username", "pk")
    )
    profiles = [
        Profile(
            user_id=created_pk[usernames[int(r.user_id)]],
            movielens_id=int(r.user_id),
            age=int(r.age),
            gender=str(r.gender) if str(r.gender) in {"F", "M"} else "",
            occupation=str(r.occupation)[:40],
            zip_code=str(r.zip_code)[:10],
            onboarded=True,
        )
        for r in new_rows.itertuples()
    ]
    for batch in _batches(profiles):
        Profile.objects.bulk_create(batch)
    user_pk = {**known, **{ml_id: created_pk[name] for ml_id, name in usernames.items()}}
    return len(users), user_pk


def _import_movies(
    data: MovieLens, genres: dict[str, Genre], report: Progress
) -> tuple[int, dict[int, int]]:
    known = dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk"))
    new_rows = data.movies[~data.movies[MOVIE_ID].isin(known)]
    movies = [
        Movie(
            title=str(r.title)[:200],
            year=None if pd.isna(r.year) else int(r.year),
            source=Movie.Source.MOVIELENS,
            movielens_id=int(r.movie_id),
        )
        for r in new_rows.itertuples()
    ]
    for batch in _batches(movies):
        Movie.objects.bulk_create(batch)
        report("movies", len(batch))
    movie_pk = dict(
        Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk")
    )
    through = Movie.genres.through
    links = [
        through(movie_id=movie_pk[int(r.movie_id)], genre_id=genres[name].pk)
        for r in new_rows.itertuples()
        for name in r.genres
    ]
    for batch in _batches(links):
        through.objects.bulk_create(batch)
    return len(movies), movie_pk


def _import_ratings(
    data: MovieLens, user_pk: dict[int, int], movie_pk: dict[int, int], report: Progress
) -> tuple[int, set[int]]:
    existing = set(
        Rating.objects.filter(
            movie__movielens_id__isnull=False, user__profile__movielens_id__isnull=False
        ).values_list(USER_ID, MOVIE_ID)
    )
    new = []
    for r in data.ratings.itertuples():
        key = (user_pk[int(r.user_id)], movie_pk[int(r.movie_id)])
        if key in existing:
            continue
        new.append(
            Rating(
                user_id=key[0],
                movie_id=key[1],
                score=int(r.rating),
                rated_at=dt.datetime.fromtimestamp(int(r.timestamp), tz=dt.UTC),
            )
        )
    for batch in _batches(new):
        Rating.objects.bulk_create(batch)
        report("ratings", len(batch))
    return len(new), {rating.movie_id for rating in new}


def _batches(items: Iterable[T], size: int = BATCH_SIZE) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
