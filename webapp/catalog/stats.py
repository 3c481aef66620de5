"""Per-movie rating aggregates, stored on the movie so list pages never aggregate on the fly."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from webapp.catalog.models import Movie, Rating


def lock_movies(movie_ids: Iterable[int]) -> None:
    """Take the movies' row locks (in id order) before their ratings change.

    Why: under READ COMMITTED two transactions rating one movie would each count the ratings
    they can see and the later write would drop the other's rating from the totals. Holding the
    movie's row lock from before the rating is written until commit makes the writers of one
    movie take turns, so each recount sees every committed rating. A no-op on SQLite, whose
    write transactions are already one at a time.
    """
    ids = sorted(set(movie_ids))
    if ids:
        list(
            Movie.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def refresh_movie_stats(movie_ids: Iterable[int]) -> None:
    """Recompute count and mean rating of the given movies in one UPDATE from the ratings table."""
    ids = list(set(movie_ids))
    if not ids:
        return
    per_movie = Rating.objects.filter(movie=OuterRef("pk")).order_by().values("movie")
    count = per_movie.annotate(n=Count("pk")).values("n")
    mean = per_movie.annotate(m=Cast(Avg("score"), FloatField())).values("m")
    Movie.objects.filter(pk__in=ids).update(
        rating_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
        rating_mean=Coalesce(Subquery(mean, output_field=FloatField()), Value(0.0)),
    )
