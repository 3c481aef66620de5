"""The picks pages with a served model (the popularity-skewed tables' small trained model):
dismissed and watchlisted movies leave the picks at once and reach the recommender, pages are
consecutive slices of one ranking, and the genre filter keeps only that genre."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.webapp.catalog_data import make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import add_to_watchlist, mark_not_interested, rate_movie
from webapp.recommender.picks import PickWindow, plan_picks, read_taste, user_query
from webapp.recommender.serving import model_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
PICKS = reverse("picks")


@pytest.fixture
def fan(skewed_site, client):
    """Someone who liked a few Sci-Fi tales and disliked a drama: the model has a view."""
    user = make_member("fan")
    scifi = list(Movie.objects.filter(genres__name="Sci-Fi", title__contains="Tale")[:3])
    for movie in scifi:
        rate_movie(user, movie, 5)
    rate_movie(user, Movie.objects.filter(genres__name="Drama").first(), 1)
    client.force_login(user)
    return user


@pytest.fixture
def recorded(monkeypatch):
    """Every call the served recommender gets, with its query and keyword arguments."""
    calls = []
    recommender = model_server.current().recommender
    original = recommender.recommend

    def recommend(query, **kwargs):
        calls.append((query, kwargs))
        return original(query, **kwargs)

    monkeypatch.setattr(recommender, "recommend", recommend)
    return calls


def ids(plan) -> list[int]:
    return plan.movie_ids


def card_titles(html: str) -> list[str]:
    picks = html.split('id="picks-heading"')[1].split("</section>")[0]
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', picks)


def test_the_pages_are_the_models_own_ranking(fan):
    plan = plan_picks(fan)
    assert plan.personalised and len(plan.rows) == 12
    query = user_query(fan, read_taste(fan))
    ranking = [s.movie_id for s in model_server.current().recommender.recommend(query, k=24)]
    second = plan_picks(fan, window=PickWindow(page=2))
    assert ids(plan) == ranking[:12] and ids(second) == ranking[12:24]
    assert not set(ids(plan)) & set(ids(second))


def test_page_two_over_http_does_not_repeat_page_one(client, fan):
    first = card_titles(client.get(PICKS).content.decode())
    second = card_titles(client.get(PICKS, {"page": "2"}).content.decode())
    assert len(first) == len(second) == 12 and not set(first) & set(second)
    assert first == card_titles(client.get(reverse("home")).content.decode())


def test_a_dismissed_pick_leaves_at_once_and_the_model_is_told(client, fan, recorded):
    top = plan_picks(fan).movie_ids[0]
    response = client.post(reverse("catalog:not-interested", args=[top]), {"next": "/"})
    assert response.status_code == 302
    after = plan_picks(fan)
    assert after.personalised and top not in after.movie_ids and len(after.rows) == 12
    query, _ = recorded[-1]
    assert query.not_interested == frozenset({top})


def test_watchlisted_movies_leave_the_picks_and_are_excluded_by_the_model(fan, recorded):
    first = plan_picks(fan).movie_ids
    for movie_id in first[:3]:
        add_to_watchlist(fan, Movie.objects.get(pk=movie_id))
    after = plan_picks(fan)
    assert not set(first[:3]) & set(after.movie_ids) and len(after.rows) == 12
    assert after.movie_ids[:9] == first[3:]  # the rest of the ranking moves up
    _, kwargs = recorded[-1]
    assert set(first[:3]) <= set(kwargs["exclude"])


def test_later_pages_leave_them_out_too(fan):
    second = plan_picks(fan, window=PickWindow(page=2)).movie_ids
    mark_not_interested(fan, Movie.objects.get(pk=second[0]))
    add_to_watchlist(fan, Movie.objects.get(pk=second[1]))
    for page in (1, 2, 3):
        shown = plan_picks(fan, window=PickWindow(page=page)).movie_ids
        assert second[0] not in shown and second[1] not in shown


@pytest.mark.parametrize("genre", ["Horror", "Comedy", "Thriller"])
def test_the_genre_filter_returns_only_that_genre(client, fan, genre, recorded):
    html = client.get(PICKS, {"genre": genre}).content.decode()
    titles = card_titles(html)
    assert titles, html
    in_genre = set(Movie.objects.filter(genres__name=genre).values_list("title", flat=True))
    assert set(titles) <= in_genre
    _, kwargs = recorded[-1]
    assert kwargs["genres"] == (genre,)
    assert "Chosen for you by the spiking recommender" in html


def test_a_genre_s_second_page_follows_its_first(fan):
    first = plan_picks(fan, window=PickWindow(genre="Drama")).movie_ids
    second = plan_picks(fan, window=PickWindow(page=2, genre="Drama")).movie_ids
    assert first and second and not set(first) & set(second)
    dramas = set(Movie.objects.filter(genres__name="Drama").values_list("pk", flat=True))
    assert set(first + second) <= dramas
