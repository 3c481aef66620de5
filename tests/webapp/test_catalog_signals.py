"""The catalogue announces new movies and saved ratings once committed, to whoever listens."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.models import Movie, Rating
from webapp.catalog.services import rate_movie, rate_movies, upload_movie
from webapp.catalog.signals import movie_added, rating_saved

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    events: list[tuple[str, dict]] = []

    def on_movie(sender, **kwargs):
        events.append(("movie", {k: v for k, v in kwargs.items() if k != "signal"}))

    def on_rating(sender, **kwargs):
        events.append(("rating", {k: v for k, v in kwargs.items() if k != "signal"}))

    movie_added.connect(on_movie, dispatch_uid="test-on-movie")
    rating_saved.connect(on_rating, dispatch_uid="test-on-rating")
    yield events
    movie_added.disconnect(dispatch_uid="test-on-movie")
    rating_saved.disconnect(dispatch_uid="test-on-rating")


def test_an_upload_is_announced_after_commit_only(heard):
    genres = make_genres()
    member = make_member("uploader")
    with transaction.atomic():
        movie = upload_movie(member, title="Fresh", year=2026, genres=[genres["Drama"]])
        assert heard == []  # still inside the transaction: nobody may see it yet
    assert heard == [("movie", {"movie_id": movie.pk})]


def test_a_rolled_back_upload_is_never_announced(heard):
    genres = make_genres()
    member = make_member("uploader")
    with pytest.raises(RuntimeError), transaction.atomic():
        upload_movie(member, title="Ghost", year=2026, genres=[genres["Drama"]])
        raise RuntimeError("rolled back")
    assert heard == [] and not Movie.objects.filter(title="Ghost").exists()


def test_saved_ratings_are_announced(heard):
    member = make_member("rater")
    first, second = (Movie.objects.create(title=t, year=2000) for t in ("One", "Two"))
    rate_movie(member, first, 4)
    rate_movies(member, {second.pk: 2})
    assert heard == [
        ("rating", {"user_id": member.pk, "movie_id": first.pk, "score": 4}),
        ("rating", {"user_id": member.pk, "movie_id": second.pk, "score": 2}),
    ]


def test_a_failing_listener_keeps_the_rating(heard, caplog):
    def broken(sender, **kwargs):
        raise ValueError("listener bug")

    rating_saved.connect(broken, dispatch_uid="test-broken")
    try:
        member = make_member("rater")
        movie = Movie.objects.create(title="Kept", year=2000)
        rate_movie(member, movie, 5)
    finally:
        rating_saved.disconnect(dispatch_uid="test-broken")
    assert Rating.objects.get(user=member, movie=movie).score == 5
    assert "listener bug" in caplog.text
