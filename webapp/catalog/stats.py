"""Per-movie rating aggregates, stored on the movie so list pages never aggregate on the fly."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Avg, Count

from webapp.catalog.models import Movie, Rating


def refresh_movie_stats(movie_ids: Iterable[int]) -> None:
    """Recompute count and mean rating for the given movies from the ratings table."""
    ids = list(set(movie_ids))
    if not ids:
        return
    aggregates = {
        row["movie_id"]: row
        for row in Rating.objects.filter(movie_id__in=ids)
        .values("movie_id")
        .annotate(count=Count("id"), mean=Avg("score"))
    }
    movies = list(Movie.objects.filter(pk__in=ids).only("pk"))
    for movie in movies:
        row = aggregates.get(movie.pk)
        movie.rating_count = row["count"] if row else 0
        movie.rating_mean = round(float(row["mean"]), 4) if row else 0.0
    Movie.objects.bulk_update(movies, ["rating_count", "rating_mean"], batch_size=500)
