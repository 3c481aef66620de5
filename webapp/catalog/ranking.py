""" "Highest rated" by a damped (Bayesian) average, so three 5-star ratings cannot top the list.

Each movie's average is pulled towards the catalogue's mean rating C as if it had ``PRIOR_WEIGHT``
extra ratings of exactly C: ``(sum + m·C) / (count + m)``. A movie with 3 ratings of 5 scores
about (15 + 10·3.5) / 13 ≈ 3.8, while 200 ratings averaging 4.4 stay at ≈ 4.35; as the count
grows the damped average approaches the movie's own. IMDb's Top 250 uses the same formula.

The stored per-movie count and mean give the sum, so ordering needs no aggregation per row; C is
one aggregate over the movies table, cached for ``GLOBAL_MEAN_TTL_SECONDS`` (it moves slowly).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Case, F, FloatField, OrderBy, Sum, Value, When
from django.db.models.functions import Cast

from webapp.catalog.models import Movie

# m: how many ratings of the catalogue mean a movie's average is blended with.
PRIOR_WEIGHT = 10
# C before anyone has rated anything: the middle of the 1–5 scale.
FALLBACK_MEAN = 3.0
GLOBAL_MEAN_TTL_SECONDS = 10 * 60
_CACHE_KEY = "catalog:global-mean-rating:v1"


def global_mean_rating() -> float:
    """The mean of all ratings (each rating counts once), from the movies' stored aggregates."""
    mean = cache.get(_CACHE_KEY)
    if mean is None:
        totals = Movie.objects.filter(rating_count__gt=0).aggregate(
            points=Sum(F("rating_mean") * F("rating_count"), output_field=FloatField()),
            count=Sum("rating_count"),
        )
        mean = totals["points"] / totals["count"] if totals["count"] else FALLBACK_MEAN
        cache.set(_CACHE_KEY, mean, GLOBAL_MEAN_TTL_SECONDS)
    return mean


def damped_rating(prior_mean: float, prior_weight: int = PRIOR_WEIGHT):
    """An expression for the damped average; unrated movies get -1 so they come last."""
    count = Cast("rating_count", FloatField())
    return Case(
        When(rating_count=0, then=Value(-1.0)),
        default=(F("rating_mean") * count + Value(prior_weight * prior_mean))
        / (count + Value(float(prior_weight))),
        output_field=FloatField(),
    )


def best_rated_ordering() -> tuple[OrderBy | str, ...]:
    """``order_by`` arguments for "Highest rated": damped average, then more ratings, then title."""
    return (
        damped_rating(global_mean_rating()).desc(),
        "-rating_mean",
        "-rating_count",
        "title",
        "pk",
    )
