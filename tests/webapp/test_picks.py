"""Today's picks without a trained model: popularity by favourite genres, said so on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie, remove_rating
from webapp.recommender.models import ModelVersion
from webapp.recommender.picks import (
    ANONYMOUS_NOTICE,
    FALLBACK_NOTICE_ANY,
    FALLBACK_NOTICE_GENRES,
    todays_picks,
)
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_model_serving():
    model_server.reset()
    yield
    model_server.reset()


@pytest.fixture
def catalogue():
    return make_catalogue(n_movies=40, n_raters=12, per_rater=12)


def popular_order(exclude=()) -> list[int]:
    return list(Movie.objects.exclude(pk__in=exclude).popular().values_list("pk", flat=True))


def test_anonymous_visitors_get_the_most_popular_movies(catalogue):
    from django.contrib.auth.models import AnonymousUser

    picks = todays_picks(AnonymousUser(), k=5)
    assert [p.movie.pk for p in picks.rows] == popular_order()[:5]
    assert not picks.personalised and picks.notice == ANONYMOUS_NOTICE


def test_without_favourites_picks_are_popular_overall_minus_what_was_rated(catalogue):
    user = make_member("ada")
    top = popular_order()
    rate_movie(user, Movie.objects.get(pk=top[0]), 5)
    picks = todays_picks(user, k=6)
    assert [p.movie.pk for p in picks.rows] == top[1:7]
    assert {p.reason for p in picks.rows} == {"Popular on SpikeLens"}
    assert not picks.personalised and picks.notice == FALLBACK_NOTICE_ANY


def test_favourite_genres_come_first_with_a_reason_naming_the_genre(catalogue):
    horror = catalogue.genres["Horror"]
    user = make_member("ada", genres=[horror])
    picks = todays_picks(user, k=12)
    in_genre = list(horror.movies.popular().values_list("pk", flat=True))
    assert [p.movie.pk for p in picks.rows[: len(in_genre)]] == in_genre[:12]
    assert all(p.reason == "Popular in Horror" for p in picks.rows[: len(in_genre)])
    # Fewer horror films than picks: the rest are popular overall, and say so.
    assert all(p.reason == "Popular on SpikeLens" for p in picks.rows[len(in_genre) :])
    assert len(picks.rows) == 12 and picks.notice == FALLBACK_NOTICE_GENRES


def test_picks_refresh_when_the_person_rates_or_unrates(catalogue):
    user = make_member("ada")
    first = todays_picks(user, k=4)
    top_movie = first.rows[0].movie
    rate_movie(user, top_movie, 4)
    after_rating = todays_picks(user, k=4)
    assert top_movie.pk not in [p.movie.pk for p in after_rating.rows]
    remove_rating(user, top_movie)
    assert todays_picks(user, k=4).rows[0].movie.pk == top_movie.pk


def test_picks_refresh_when_favourite_genres_change(catalogue):
    user = make_member("ada")
    todays_picks(user)  # cached now
    user.profile.favourite_genres.set([catalogue.genres["Romance"]])
    assert todays_picks(user).rows[0].reason == "Popular in Romance"


def test_a_model_version_whose_artifact_is_missing_leaves_the_fallback_serving(catalogue, tmp_path):
    version = ModelVersion.objects.create(
        name="broken", artifact_path=str(tmp_path / "gone"), is_active=True
    )
    user = make_member("ada")
    picks = todays_picks(user)
    assert not picks.personalised and picks.notice == FALLBACK_NOTICE_ANY
    version.refresh_from_db()
    assert version.broken_at is not None, "the admin is told which version failed to load"


def test_home_page_says_picks_are_popularity_based(client, catalogue):
    user = make_member("ada", genres=[catalogue.genres["Comedy"]])
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "Today's picks for you" in html
    assert FALLBACK_NOTICE_GENRES in html
    assert "Popular in Comedy" in html


def test_home_page_for_someone_who_rated_everything(client):
    catalogue = make_catalogue(n_movies=3, n_raters=1, per_rater=1)
    user = make_member("ada")
    for movie in catalogue.movies:
        rate_movie(user, movie, 3)
    client.force_login(user)
    assert "You have rated everything we have" in client.get(reverse("home")).content.decode()
