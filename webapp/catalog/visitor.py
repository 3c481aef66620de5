"""What the visitor has already done with the movies a page lists: their stars, their watchlist.

Read in one query each for a whole list, so the cards' forms show the right state without a
query per card. Any app's page may use these (they are not views, so importing them does not tie
one app's views to another's).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from webapp.catalog.models import Movie, Rating, WatchlistEntry


def user_scores(request: HttpRequest, movies: Iterable[Movie]) -> dict[int, int]:
    """The visitor's own rating of each listed movie, in one query, for the inline star forms."""
    if not request.user.is_authenticated:
        return {}
    ids = [movie.pk for movie in movies]
    if not ids:
        return {}
    return dict(
        Rating.objects.filter(user=request.user, movie_id__in=ids).values_list("movie_id", "score")
    )


def user_watchlist(request: HttpRequest, movies: Iterable[Movie]) -> frozenset[int]:
    """Which of the listed movies are on the visitor's watchlist, in one query."""
    if not request.user.is_authenticated:
        return frozenset()
    ids = [movie.pk for movie in movies]
    if not ids:
        return frozenset()
    return frozenset(
        WatchlistEntry.objects.filter(user=request.user, movie_id__in=ids).values_list(
            "movie_id", flat=True
        )
    )
