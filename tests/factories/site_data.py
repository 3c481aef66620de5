"""A small site database with a planted taste structure, for tests that train real models.

Half the people watch Horror, half watch Comedy; each rates mostly movies of their genre. A model
that learns anything recommends Horror to Horror fans, which tests can check.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from recsys.data.genres import GENRES
from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.stats import refresh_movie_stats

TASTES = ("Horror", "Comedy")


@dataclass(frozen=True)
class SiteData:
    users: list
    movies: list[Movie]
    taste_of: dict[int, str]  # user pk → genre
    genre_of: dict[int, str]  # movie pk → genre


def populate_site(
    n_users: int = 40, n_movies: int = 60, per_user: int = 12, seed: int = 0
) -> SiteData:
    rng = random.Random(seed)
    genres = {name: Genre.objects.get_or_create(name=name)[0] for name in GENRES}
    titles = [f"{TASTES[i % 2]} Story {seed}-{i}" for i in range(n_movies)]
    Movie.objects.bulk_create(
        Movie(title=title, year=1970 + i % 30, source=Movie.Source.UPLOAD)
        for i, title in enumerate(titles)
    )
    movies = list(Movie.objects.filter(title__in=titles).order_by("pk"))
    genre_of = {}
    through = Movie.genres.through
    links = []
    for i, movie in enumerate(movies):
        genre_of[movie.pk] = TASTES[i % 2]
        links.append(through(movie_id=movie.pk, genre_id=genres[TASTES[i % 2]].pk))
    through.objects.bulk_create(links)

    User = get_user_model()
    password = make_password("a-long-password")
    names = [f"viewer{seed}-{i}" for i in range(n_users)]
    User.objects.bulk_create(User(username=name, password=password) for name in names)
    users = list(User.objects.filter(username__in=names).order_by("pk"))
    taste_of = {user.pk: TASTES[i % 2] for i, user in enumerate(users)}
    Profile.objects.bulk_create(
        Profile(
            user=user, age=20 + i % 40, gender="MF"[i % 2], occupation="student", onboarded=True
        )
        for i, user in enumerate(users)
    )

    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    ratings = []
    for user in users:
        own = [m for m in movies if genre_of[m.pk] == taste_of[user.pk]]
        other = [m for m in movies if genre_of[m.pk] != taste_of[user.pk]]
        chosen = rng.sample(own, per_user - 2) + rng.sample(other, 2)
        for k, movie in enumerate(chosen):
            liked = genre_of[movie.pk] == taste_of[user.pk]
            ratings.append(
                Rating(
                    user=user,
                    movie=movie,
                    score=rng.choice([4, 5]) if liked else rng.choice([1, 2]),
                    rated_at=start + dt.timedelta(hours=k + 24 * rng.randint(0, 300)),
                )
            )
    Rating.objects.bulk_create(ratings)
    refresh_movie_stats(m.pk for m in movies)
    return SiteData(users=users, movies=movies, taste_of=taste_of, genre_of=genre_of)
