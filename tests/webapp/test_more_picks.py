""" "More picks" (/picks/?page=N&genre=G) without a served model: pages of the popularity
fallback, 12 a page, capped, a genre filter checked against the Genre table, and bad input
answered with a clear 4xx, never a 500."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import add_to_watchlist, mark_not_interested, rate_movie
from webapp.recommender.picks import (
    DEFAULT_PICKS,
    MAX_PICK_PAGES,
    PickWindow,
    plan_picks,
    read_taste,
    todays_picks,
)
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.django_db
PICKS = reverse("picks")


@pytest.fixture(autouse=True)
def no_model_serving():
    model_server.reset()
    yield
    model_server.reset()


@pytest.fixture
def catalogue():
    return make_catalogue(n_movies=60, n_raters=10, per_rater=12)


@pytest.fixture
def member(client, catalogue):
    user = make_member("ada")
    client.force_login(user)
    return user


def pick_titles(html: str) -> list[str]:
    picks = html.split('id="picks-heading"')[1].split('<nav class="pagination"')[0]
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', picks)


def popular_unrated(user, genre=None) -> list[str]:
    movies = Movie.objects.exclude(ratings__user=user)
    if genre:
        movies = movies.filter(genres__name=genre)
    return list(
        movies.order_by("-rating_count", "-rating_mean", "title", "pk").values_list(
            "title", flat=True
        )
    )


def test_page_one_is_the_home_pages_picks(client, member):
    home = client.get(reverse("home")).content.decode()
    more = client.get(PICKS).content.decode()
    home_titles = home.split('id="picks-heading"')[1].split("</section>")[0]
    assert pick_titles(more) == re.findall(
        r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', home_titles
    )
    assert 'href="/picks/?page=2">More picks' in home


def test_page_two_continues_the_ranking_without_overlap(client, member):
    rate_movie(member, Movie.objects.popular().first(), 5)
    ranking = popular_unrated(member)
    first = pick_titles(client.get(PICKS, {"page": "1"}).content.decode())
    second = pick_titles(client.get(PICKS, {"page": "2"}).content.decode())
    assert first == ranking[:12] and second == ranking[12:24]
    html = client.get(PICKS, {"page": "2"}).content.decode()
    assert 'href="?page=1" aria-current' not in html
    assert 'href="?page=2" aria-current="page"' in html
    assert "<title>More picks (page 2) · SpikeLens</title>" in html


def test_pages_stop_at_the_cap_and_at_the_end_of_the_catalogue(client, member):
    # 60 movies: five pages of 12, so page 6 does not exist and page 11 never does.
    response = client.get(PICKS, {"page": "6"})
    assert response.status_code == 404
    assert "There is no page 6 of your picks: they have 5 pages." in response.content.decode()
    response = client.get(PICKS, {"page": str(MAX_PICK_PAGES + 1)})
    assert response.status_code == 404
    assert f"they go from page 1 to {MAX_PICK_PAGES}" in response.content.decode()


def test_the_pages_never_go_past_the_cap_however_many_movies(client, member):
    make_catalogue(
        n_movies=MAX_PICK_PAGES * DEFAULT_PICKS + 30, n_raters=1, per_rater=1, prefix="M"
    )
    html = client.get(PICKS, {"page": str(MAX_PICK_PAGES)}).content.decode()
    assert f"Page {MAX_PICK_PAGES} of {MAX_PICK_PAGES}" in html
    assert len(pick_titles(html)) == DEFAULT_PICKS


@pytest.mark.parametrize(
    "page", ["abc", "0", "-1", "1.5", "²", "١", "1e3", " ", "9" * 40, "9" * 5000, "';drop", "\x00"]
)
def test_bad_page_values_are_a_clear_404_never_a_500(client, member, page):
    response = client.get(PICKS, {"page": page})
    if page.strip() == "":
        assert response.status_code == 200  # an empty page value is the first page
        return
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no page" in html and "Go to the first page" in html
    assert "<script" not in html.split('id="main"')[1]


def test_the_genre_filter_keeps_only_that_genre(client, member, catalogue):
    html = client.get(PICKS, {"genre": "Comedy"}).content.decode()
    titles = pick_titles(html)
    assert titles == popular_unrated(member, "Comedy")[:12]
    comedies = set(Movie.objects.filter(genres__name="Comedy").values_list("title", flat=True))
    assert titles and set(titles) <= comedies
    assert "More picks for you in Comedy" in html
    assert '<option value="Comedy" selected>' in html
    # The page links keep the genre.
    if "Next" in html:
        assert 'href="?genre=Comedy&amp;page=2"' in html


def test_favourite_genres_name_the_reason_and_a_filter_names_its_own(client, catalogue):
    user = make_member("bea", genres=[catalogue.genres["Horror"]])
    client.force_login(user)
    picks = todays_picks(user)
    assert picks.rows[0].reason == "Popular in Horror"
    plan = plan_picks(user, window=PickWindow(genre="Comedy"))
    reasons = {reason for _, reason in plan.rows}
    assert reasons <= {"Popular in Comedy", "Popular in Horror"}


@pytest.mark.parametrize(
    "genre", ["Western", "';drop table catalog_genre;--", "<script>alert(1)</script>", "x" * 3000,
              "\x00", "comedy"],
)  # fmt: skip
def test_an_unknown_genre_is_a_clear_400(client, member, genre):
    response = client.get(PICKS, {"genre": genre})
    assert response.status_code == 400
    html = response.content.decode()
    if genre == "\x00":  # refused by Django before the Genre table is asked
        assert "Null characters are not allowed." in html
    else:
        assert "There is no genre called" in html and "choose one from the list" in html
    assert "<script>alert" not in html
    assert pick_titles(html) == []


def test_genre_and_page_together(client, member):
    drama = popular_unrated(member, "Drama")
    second = pick_titles(client.get(PICKS, {"genre": "Drama", "page": "2"}).content.decode())
    assert second == drama[12:24]


def test_watchlisted_dismissed_and_rated_movies_never_appear_on_any_page(client, member):
    ranking = popular_unrated(member)
    watch, dismissed, rated = ranking[0], ranking[13], ranking[25]
    add_to_watchlist(member, Movie.objects.get(title=watch))
    mark_not_interested(member, Movie.objects.get(title=dismissed))
    rate_movie(member, Movie.objects.get(title=rated), 3)
    shown = []
    for page in ("1", "2", "3"):
        shown += pick_titles(client.get(PICKS, {"page": page}).content.decode())
    assert not {watch, dismissed, rated} & set(shown)
    assert len(shown) == len(set(shown)) == 36


def test_each_page_and_genre_has_its_own_cache_key(member):
    taste = read_taste(member)
    keys = {
        plan_picks(member, taste=taste, window=window).key
        for window in (PickWindow(), PickWindow(page=2), PickWindow(genre="Comedy"),
                       PickWindow(page=2, genre="Comedy"))
    }  # fmt: skip
    assert len(keys) == 4
    assert plan_picks(member).key == plan_picks(member, window=PickWindow(page=1)).key


def test_windows_outside_the_cap_are_refused_by_the_picks_code_too():
    with pytest.raises(ValueError):
        PickWindow(page=0)
    with pytest.raises(ValueError):
        PickWindow(page=MAX_PICK_PAGES + 1)


def test_anonymous_visitors_are_sent_to_log_in(catalogue):
    response = Client().get(PICKS, {"page": "2"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_anonymous_plans_honour_the_window_too(catalogue):
    first = plan_picks(AnonymousUser()).movie_ids
    second = plan_picks(AnonymousUser(), window=PickWindow(page=2)).movie_ids
    assert len(second) == 12 and not set(first) & set(second)


def test_pick_cards_on_later_pages_send_the_visitor_back_to_that_page(client, member):
    html = client.get(PICKS, {"genre": "Drama", "page": "2"}).content.decode()
    assert 'name="next" value="/picks/?genre=Drama&amp;page=2"' in html
