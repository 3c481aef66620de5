"""State changes of the catalogue: rating, un-rating (and undoing that), adding movies, and a
person's watchlist and "not interested" marks.

Views validate input and call these; each runs in one transaction and keeps the movie's stored
rating count and mean in step with the ratings table, so a failure half-way changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from webapp.catalog.models import (
    MAX_SCORE,
    MIN_SCORE,
    Genre,
    Movie,
    NotInterested,
    Rating,
    WatchlistEntry,
)
from webapp.catalog.posters import CleanPoster
from webapp.catalog.signals import (
    interest_changed,
    movie_added,
    rating_saved,
    send_on_commit,
    watchlist_changed,
)
from webapp.catalog.stats import lock_movies, refresh_movie_stats


class DuplicateMovieError(Exception):
    """A movie with this title and year is already in the catalogue."""

    def __init__(self, existing: Movie) -> None:
        super().__init__(f"{existing} is already in the catalogue")
        self.existing = existing


@dataclass(frozen=True)
class RatingOutcome:
    rating: Rating
    created: bool


def rate_movie(user: AbstractBaseUser, movie: Movie, score: int, review: str = "") -> RatingOutcome:
    """Create or replace the user's rating of a movie; a second rating updates the first."""
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError(f"score must be between {MIN_SCORE} and {MAX_SCORE}, not {score}")
    with transaction.atomic():
        lock_movies([movie.pk])
        rating, created = Rating.objects.update_or_create(
            user=user,
            movie=movie,
            defaults={"score": score, "review": review.strip(), "rated_at": timezone.now()},
        )
        refresh_movie_stats([movie.pk])
        send_on_commit(rating_saved, Rating, user_id=user.pk, movie_id=movie.pk, score=score)
    movie.refresh_from_db(fields=["rating_count", "rating_mean"])
    return RatingOutcome(rating=rating, created=created)


def rate_movies(user: AbstractBaseUser, scores: dict[int, int]) -> int:
    """Rate several movies at once (onboarding); returns how many ratings were written."""
    if not scores:
        return 0
    with transaction.atomic():
        lock_movies(scores)
        movies = Movie.objects.in_bulk(list(scores))
        now = timezone.now()
        for movie_id, score in scores.items():
            if movie_id in movies:
                Rating.objects.update_or_create(
                    user=user,
                    movie_id=movie_id,
                    defaults={"score": score, "rated_at": now},
                )
                send_on_commit(
                    rating_saved, Rating, user_id=user.pk, movie_id=movie_id, score=score
                )
        refresh_movie_stats(movies)
    return len(movies)


def remove_rating(user: AbstractBaseUser, movie: Movie) -> Rating | None:
    """Delete the user's rating and review of a movie; returns what was deleted (None if nothing).

    The returned row keeps its score, review and date, so the removal can be undone exactly.
    """
    with transaction.atomic():
        lock_movies([movie.pk])
        removed = Rating.objects.filter(user=user, movie=movie).first()
        if removed is not None:
            Rating.objects.filter(pk=removed.pk).delete()
            refresh_movie_stats([movie.pk])
    movie.refresh_from_db(fields=["rating_count", "rating_mean"])
    return removed


def restore_rating(
    user: AbstractBaseUser, movie: Movie, score: int, review: str, rated_at: dt.datetime
) -> bool:
    """Put back a removed rating exactly as it was; False if the user has rated the movie since.

    A newer rating is never overwritten by an undo: the person's latest choice wins.
    """
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError(f"score must be between {MIN_SCORE} and {MAX_SCORE}, not {score}")
    with transaction.atomic():
        lock_movies([movie.pk])
        if Rating.objects.filter(user=user, movie=movie).exists():
            return False
        Rating.objects.create(user=user, movie=movie, score=score, review=review, rated_at=rated_at)
        refresh_movie_stats([movie.pk])
    movie.refresh_from_db(fields=["rating_count", "rating_mean"])
    return True


def find_duplicate(title: str, year: int | None) -> Movie | None:
    """The catalogued movie a new one with this title and year would duplicate, if any."""
    return Movie.objects.filter(title__iexact=title.strip(), year=year).order_by("pk").first()


def upload_movie(
    user: AbstractBaseUser,
    *,
    title: str,
    year: int | None,
    genres: Iterable[Genre],
    description: str = "",
    poster: CleanPoster | None = None,
) -> Movie:
    """Add a movie a person uploaded; refuses a title and year the catalogue already holds.

    The poster must already be cleaned (see ``webapp.catalog.posters``). If the database write
    fails, the stored poster file is removed again so no orphan is left in media/.
    """
    title = title.strip()
    try:
        with transaction.atomic():
            existing = find_duplicate(title, year)
            if existing is not None:
                raise DuplicateMovieError(existing)
            movie = Movie(
                title=title,
                year=year,
                description=description.strip(),
                source=Movie.Source.UPLOAD,
                created_by=user,
            )
            try:
                if poster is not None:
                    movie.poster.save(poster.content.name, poster.content, save=False)
                movie.save()
                movie.genres.set(list(genres))
            except Exception:
                if movie.poster:
                    movie.poster.delete(save=False)
                raise
            send_on_commit(movie_added, Movie, movie_id=movie.pk)
    except IntegrityError:
        # Someone stored the same title and year between our check and our insert; the unique
        # constraint kept one, and this upload gets the same answer as a plain duplicate.
        existing = find_duplicate(title, year)
        if existing is None:
            raise
        raise DuplicateMovieError(existing) from None
    return movie


# ---------------------------------------------------------------------------- watchlist
def add_to_watchlist(user: AbstractBaseUser, movie: Movie) -> bool:
    """Put a movie on the person's watchlist; False when it was there already (nothing changes).

    Wanting to watch a movie contradicts an earlier "not interested", so that mark is cleared in
    the same transaction: the model would otherwise keep reading the movie as a dislike.
    """
    with transaction.atomic():
        _, created = WatchlistEntry.objects.get_or_create(user=user, movie=movie)
        if created:
            send_on_commit(
                watchlist_changed,
                WatchlistEntry,
                user_id=user.pk,
                movie_id=movie.pk,
                on_watchlist=True,
            )
        cleared, _ = NotInterested.objects.filter(user=user, movie=movie).delete()
        if cleared:
            send_on_commit(
                interest_changed,
                NotInterested,
                user_id=user.pk,
                movie_ids=frozenset({movie.pk}),
                not_interested=False,
            )
    return created


def remove_from_watchlist(user: AbstractBaseUser, movie: Movie) -> bool:
    """Take a movie off the person's watchlist; False when it was not on it."""
    with transaction.atomic():
        removed, _ = WatchlistEntry.objects.filter(user=user, movie=movie).delete()
        if removed:
            send_on_commit(
                watchlist_changed,
                WatchlistEntry,
                user_id=user.pk,
                movie_id=movie.pk,
                on_watchlist=False,
            )
    return bool(removed)


# ---------------------------------------------------------------------------- not interested
def mark_not_interested(user: AbstractBaseUser, movie: Movie) -> bool:
    """Dismiss a pick: it leaves the person's picks at once and counts against its neighbours.

    False when the movie was dismissed already (the first date is kept)."""
    with transaction.atomic():
        _, created = NotInterested.objects.get_or_create(user=user, movie=movie)
        if created:
            send_on_commit(
                interest_changed,
                NotInterested,
                user_id=user.pk,
                movie_ids=frozenset({movie.pk}),
                not_interested=True,
            )
    return created


def clear_not_interested(user: AbstractBaseUser, movie_ids: Iterable[int] | None = None) -> int:
    """Take dismissals back (Undo, or "show again"): those movies may be picked again.

    ``movie_ids`` None clears every dismissal of the person. Returns how many were cleared."""
    with transaction.atomic():
        marks = NotInterested.objects.filter(user=user)
        if movie_ids is not None:
            marks = marks.filter(movie_id__in=list(movie_ids))
        cleared = frozenset(marks.values_list("movie_id", flat=True))
        if cleared:
            NotInterested.objects.filter(user=user, movie_id__in=cleared).delete()
            send_on_commit(
                interest_changed,
                NotInterested,
                user_id=user.pk,
                movie_ids=cleared,
                not_interested=False,
            )
    return len(cleared)
