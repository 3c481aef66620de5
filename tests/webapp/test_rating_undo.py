"""Removing a rating offers Undo: the same score, review and date come back, once, by POST only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import PASSWORD, make_catalogue, make_member
from webapp.catalog import undo
from webapp.catalog.models import Movie, Rating

pytestmark = pytest.mark.django_db
REVIEW = "Slow start, <3 the ending & the score."


@pytest.fixture
def movie() -> Movie:
    return make_catalogue(n_movies=4, n_raters=3, per_rater=2).movies[0]


@pytest.fixture
def member(client):
    user = make_member("ada")
    client.force_login(user)
    return user


@pytest.fixture
def rated(client, member, movie) -> Rating:
    client.post(reverse("catalog:rate", args=[movie.pk]), {"score": "4", "review": REVIEW})
    rating = Rating.objects.get(user=member, movie=movie)
    # An older date, so a restore that stamped "now" would show.
    Rating.objects.filter(pk=rating.pk).update(rated_at=rating.rated_at - dt.timedelta(days=40))
    return Rating.objects.get(pk=rating.pk)


def state(movie):
    """Everything an undo must put back exactly (or a refused undo leave alone)."""
    return (
        sorted(Rating.objects.values_list("user_id", "movie_id", "score", "review", "rated_at")),
        Movie.objects.values_list("rating_count", "rating_mean").get(pk=movie.pk),
    )


def remove(client, movie):
    return client.post(reverse("catalog:unrate", args=[movie.pk]))


def undo_form(html: str) -> tuple[str, str] | None:
    found = re.search(
        r'<form method="post" action="(/movies/\d+/rating/restore/)" class="inline-form">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">'
        r'<input type="hidden" name="undo" value="([^"]+)">',
        html,
    )
    return found.groups() if found else None


def test_the_movie_page_offers_undo_after_a_removal(client, rated, movie):
    response = remove(client, movie)
    assert response.status_code == 302 and response.url == movie.get_absolute_url()
    assert not Rating.objects.filter(pk=rated.pk).exists()
    html = client.get(movie.get_absolute_url()).content.decode()
    assert f"Your 4-star rating and review of {movie.title} were removed." in html
    assert undo_form(html) is not None
    assert "Remove my rating" not in html  # nothing left to remove


def test_undo_restores_score_review_date_and_averages_exactly(client, rated, movie):
    before = state(movie)
    remove(client, movie)
    assert state(movie) != before
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    response = client.post(action, {"undo": token})
    assert response.status_code == 302 and response.url == movie.get_absolute_url()
    assert state(movie) == before
    html = client.get(movie.get_absolute_url()).content.decode()
    assert f"Your rating of {movie.title} is back: 4 stars and your review." in html
    assert undo_form(html) is None and "Remove my rating" in html


def test_undo_works_once(client, rated, movie):
    remove(client, movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    client.post(action, {"undo": token})
    restored = state(movie)
    response = client.post(action, {"undo": token})
    assert response.status_code == 400
    assert "There is nothing to undo" in response.content.decode()
    assert state(movie) == restored


@pytest.mark.parametrize(
    "payload",
    [{}, {"undo": ""}, {"undo": "not-the-token"}, {"undo": "ünïcödé"}, {"undo": "x" * 5000}],
    ids=["missing", "empty", "wrong", "unicode", "huge"],
)
def test_a_bad_token_changes_nothing_and_keeps_the_undo(client, rated, movie, payload):
    remove(client, movie)
    removed = state(movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    response = client.post(action, payload)
    assert response.status_code == 400
    assert state(movie) == removed
    assert client.post(action, {"undo": token}).status_code == 302  # the real one still works
    assert Rating.objects.get(movie=movie, user=rated.user).score == 4


def test_a_stale_undo_button_cannot_undo_a_later_removal(client, rated, movie):
    remove(client, movie)
    _, old_token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    client.post(reverse("catalog:rate", args=[movie.pk]), {"score": "1", "review": "Changed."})
    remove(client, movie)
    action, new_token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    assert client.post(action, {"undo": old_token}).status_code == 400
    client.post(action, {"undo": new_token})
    assert Rating.objects.get(movie=movie, user=rated.user).review == "Changed."


def test_undo_never_overwrites_a_newer_rating(client, rated, movie):
    remove(client, movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    client.post(reverse("catalog:rate", args=[movie.pk]), {"score": "2", "review": "Newer."})
    newer = state(movie)
    response = client.post(action, {"undo": token})
    assert response.status_code == 302
    assert state(movie) == newer
    page = client.get(movie.get_absolute_url()).content.decode()
    assert f"You have rated {movie.title} again since, so that rating is kept." in page


def test_undo_expires(client, rated, movie, monkeypatch):
    remove(client, movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    monkeypatch.setattr(undo, "UNDO_WINDOW", dt.timedelta(seconds=-1))
    removed = state(movie)
    assert undo_form(client.get(movie.get_absolute_url()).content.decode()) is None
    assert client.post(action, {"undo": token}).status_code == 400
    assert state(movie) == removed


def test_undo_is_post_only(client, rated, movie):
    remove(client, movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    removed = state(movie)
    assert client.get(action, {"undo": token}).status_code == 405
    assert state(movie) == removed


def test_undo_needs_the_csrf_token(rated, movie):
    strict = Client(enforce_csrf_checks=True)
    strict.login(username="ada", password=PASSWORD)
    strict.get(movie.get_absolute_url())
    csrf = strict.cookies["csrftoken"].value
    strict.post(reverse("catalog:unrate", args=[movie.pk]), {"csrfmiddlewaretoken": csrf})
    action, token = undo_form(strict.get(movie.get_absolute_url()).content.decode())
    removed = state(movie)
    assert strict.post(action, {"undo": token}).status_code == 403
    assert state(movie) == removed
    assert strict.post(action, {"undo": token, "csrfmiddlewaretoken": csrf}).status_code == 302
    assert Rating.objects.filter(movie=movie, user__username="ada", score=4).exists()


def test_another_person_cannot_undo_it(client, rated, movie):
    remove(client, movie)
    action, token = undo_form(client.get(movie.get_absolute_url()).content.decode())
    removed = state(movie)
    other = Client()
    other.force_login(make_member("eve"))
    assert other.post(action, {"undo": token}).status_code == 400
    anonymous = Client()
    response = anonymous.post(action, {"undo": token})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert state(movie) == removed


def test_a_corrupt_session_entry_is_ignored(client, rated, movie):
    remove(client, movie)
    session = client.session
    session[undo.SESSION_KEY] = [{"movie_id": "x"}, "junk", {"movie_id": movie.pk}]
    session.save()
    html = client.get(movie.get_absolute_url()).content.decode()
    assert undo_form(html) is None


def test_removing_from_another_page_says_where_to_undo(client, rated, movie):
    response = client.post(reverse("catalog:unrate", args=[movie.pk]), {"next": "/movies/"})
    assert response.url == "/movies/"
    html = client.get("/movies/").content.decode()
    assert "were removed. Undo it on the movie page." in html
