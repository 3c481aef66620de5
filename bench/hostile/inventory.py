"""What a database and media folder hold, counted before and after a hostile run, and what
was lost or changed between the two counts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User

from webapp.catalog.models import Genre, Movie, NotInterested, Rating, WatchlistEntry


@dataclass
class Inventory:
    """What is stored: row counts, a digest of every rating and movie, and the media files."""

    counts: dict[str, int]
    movies: dict[int, str]
    ratings: dict[int, str]
    media: dict[str, str]
    # Watchlist entries and "not interested" marks: (kind, user, movie) → digest of the row.
    lists: dict[tuple[str, int, int], str] = field(default_factory=dict)

    @classmethod
    def take(cls) -> Inventory:
        from webapp.recommender.models import ModelVersion, TrainingRun

        movies = {
            pk: _digest(title, year, description, poster)
            for pk, title, year, description, poster in Movie.objects.values_list(
                "pk", "title", "year", "description", "poster"
            )
        }
        ratings = {
            pk: _digest(user, movie, score, review)
            for pk, user, movie, score, review in Rating.objects.values_list(
                "pk", "user_id", "movie_id", "score", "review"
            )
        }
        lists = {
            ("watchlist", user, movie): _digest(added_at)
            for user, movie, added_at in WatchlistEntry.objects.values_list(
                "user_id", "movie_id", "added_at"
            )
        } | {
            ("not interested", user, movie): _digest(created_at)
            for user, movie, created_at in NotInterested.objects.values_list(
                "user_id", "movie_id", "created_at"
            )
        }
        root = Path(settings.MEDIA_ROOT)
        media = {
            str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (root.rglob("*") if root.exists() else [])
            if path.is_file()
        }
        counts = {
            "movies": len(movies),
            "ratings": len(ratings),
            "users": User.objects.count(),
            "training runs": TrainingRun.objects.count(),
            "model versions": ModelVersion.objects.count(),
            "media files": len(media),
            "watchlist entries": sum(1 for kind, _, _ in lists if kind == "watchlist"),
            "not interested": sum(1 for kind, _, _ in lists if kind == "not interested"),
        }
        return cls(counts=counts, movies=movies, ratings=ratings, media=media, lists=lists)


def _digest(*values: object) -> str:
    return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


def seed_catalogue(min_movies: int = 12) -> None:
    """A small catalogue to attack when the database is empty (a scratch database)."""
    if Movie.objects.count() >= min_movies:
        return
    genre, _ = Genre.objects.get_or_create(name="Drama")
    rater, _ = User.objects.get_or_create(username="hostile-seed-rater")
    for i in range(min_movies):
        movie, _ = Movie.objects.get_or_create(
            title=f"Seed film {i}", year=1990 + i, defaults={"description": f"Seed {i}."}
        )
        movie.genres.add(genre)
        Rating.objects.get_or_create(user=rater, movie=movie, defaults={"score": 1 + i % 5})
    # One watchlist entry and one dismissal, so "nothing lost" covers those tables too.
    WatchlistEntry.objects.get_or_create(user=rater, movie=movie)
    NotInterested.objects.get_or_create(user=rater, movie=Movie.objects.order_by("pk").first())
    from webapp.catalog.stats import refresh_movie_stats

    refresh_movie_stats(Movie.objects.values_list("pk", flat=True))


def compare(before: Inventory, after: Inventory) -> list[str]:
    """What was lost or changed; empty when everything stored before is still there, unchanged."""
    problems = []
    for name, table_before, table_after in (
        ("movie", before.movies, after.movies),
        ("media file", before.media, after.media),
    ):
        for key, digest in table_before.items():
            if table_after.get(key) != digest:
                problems.append(f"{name} {key} was lost or changed")
    # Ratings: the hostile raters' own rows are new; none made before may vanish or change,
    # except removal by its own owner, which the run does not do for stored ratings.
    for key, digest in before.ratings.items():
        if after.ratings.get(key) != digest:
            problems.append(f"rating {key} was lost or changed")
    for key, digest in before.lists.items():
        if after.lists.get(key) != digest:
            problems.append(f"{key[0]} row of user {key[1]}, movie {key[2]} was lost or changed")
    new_movies = set(after.movies) - set(before.movies)
    posters = set(
        Movie.objects.filter(pk__in=new_movies).exclude(poster="").values_list("poster", flat=True)
    )
    for path in set(after.media) - set(before.media):
        if path not in posters:
            problems.append(f"orphan media file {path}")
    return problems
