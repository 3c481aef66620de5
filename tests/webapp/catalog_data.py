"""Small generated catalogues for web tests: genres, movies, people and ratings, built in bulk."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from django.contrib.auth.models import User
from PIL import Image

from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.stats import refresh_movie_stats

GENRE_NAMES = ("Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi")
PASSWORD = "a-long-test-password"


@dataclass
class Catalogue:
    genres: dict[str, Genre]
    movies: list[Movie]
    raters: list[User]


def make_genres(names=GENRE_NAMES) -> dict[str, Genre]:
    Genre.objects.bulk_create([Genre(name=n) for n in names], ignore_conflicts=True)
    return {g.name: g for g in Genre.objects.filter(name__in=names)}


def make_catalogue(
    n_movies: int = 30, n_raters: int = 8, per_rater: int = 10, seed: int = 0, prefix: str = "Film"
) -> Catalogue:
    """Movies with one to two genres each, rated by people who cannot log in, stats refreshed."""
    rng = random.Random(seed)
    genres = make_genres()
    names = list(genres)
    start = Movie.objects.count()
    movies = Movie.objects.bulk_create(
        [
            Movie(
                title=f"{prefix} {start + i:03d}",
                year=1950 + (i * 7) % 50,
                description=f"About {i}.",
            )
            for i in range(n_movies)
        ]
    )
    through = Movie.genres.through
    links = []
    for i, movie in enumerate(movies):
        for name in {names[i % len(names)], names[(i * 5 + 1) % len(names)]}:
            links.append(through(movie_id=movie.pk, genre_id=genres[name].pk))
    through.objects.bulk_create(links)
    first_rater = User.objects.count()
    raters = User.objects.bulk_create(
        [User(username=f"rater-{first_rater + i}") for i in range(n_raters)]
    )
    Profile.objects.bulk_create([Profile(user=u) for u in raters])
    ratings = []
    # Earlier movies are rated by more people, so popularity has a clear order.
    weights = [1.0 / (1 + i) for i in range(len(movies))]
    for rater in raters:
        chosen = set()
        while len(chosen) < min(per_rater, len(movies)):
            chosen.add(rng.choices(range(len(movies)), weights=weights)[0])
        for index in chosen:
            ratings.append(Rating(user=rater, movie=movies[index], score=rng.randint(1, 5)))
    Rating.objects.bulk_create(ratings)
    refresh_movie_stats(m.pk for m in movies)
    fresh = Movie.objects.filter(pk__in=[m.pk for m in movies]).order_by("pk")
    return Catalogue(genres=genres, movies=list(fresh), raters=raters)


def make_member(username: str = "ada", genres=()) -> User:
    """A person who signed up: usable password and a profile."""
    user = User.objects.create_user(username, password=PASSWORD)
    profile = Profile.objects.create(user=user, onboarded=True)
    profile.favourite_genres.set(list(genres))
    return user


def image_bytes(fmt: str = "PNG", size=(120, 180), color=(200, 30, 30), **save_args) -> bytes:
    mode = "RGBA" if fmt == "PNG" and save_args.pop("transparent", False) else "RGB"
    image = Image.new(mode, size, color if mode == "RGB" else (*color, 0))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()
