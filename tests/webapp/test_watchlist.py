"""The watchlist: added and removed from any card and the movie page (POST, CSRF, no script
needed), its own page newest first, and its movies kept out of the picks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.webapp.catalog_data import PASSWORD, make_catalogue, make_member
from webapp.catalog.models import Movie, NotInterested, WatchlistEntry
from webapp.catalog.services import (
    add_to_watchlist,
    mark_not_interested,
    remove_from_watchlist,
)
from webapp.catalog.signals import watchlist_changed
from webapp.catalog.views import WATCHLIST_PAGE_SIZE
from webapp.recommender.picks import todays_picks
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.django_db
WATCHLIST = reverse("mine:watchlist")


@pytest.fixture(autouse=True)
def no_model_serving():
    model_server.reset()
    yield
    model_server.reset()


@pytest.fixture
def movies() -> list[Movie]:
    return make_catalogue(n_movies=30, n_raters=6, per_rater=8).movies


@pytest.fixture
def member(client):
    user = make_member("ada")
    client.force_login(user)
    return user


def add(client, movie, **data):
    return client.post(reverse("catalog:watchlist-add", args=[movie.pk]), data)


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', html)


# ---------------------------------------------------------------------------- domain functions
def test_adding_twice_keeps_one_entry_and_its_first_date(member, movies):
    assert add_to_watchlist(member, movies[0]) is True
    first = WatchlistEntry.objects.get().added_at
    assert add_to_watchlist(member, movies[0]) is False
    assert WatchlistEntry.objects.get().added_at == first


def test_the_database_refuses_a_second_entry_for_one_movie(member, movies):
    WatchlistEntry.objects.create(user=member, movie=movies[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        WatchlistEntry.objects.create(user=member, movie=movies[0])
    assert WatchlistEntry.objects.count() == 1


def test_removing_says_whether_anything_was_there(member, movies):
    add_to_watchlist(member, movies[0])
    assert remove_from_watchlist(member, movies[0]) is True
    assert remove_from_watchlist(member, movies[0]) is False
    assert not WatchlistEntry.objects.exists()


def test_wanting_to_watch_a_dismissed_movie_clears_the_dismissal(member, movies):
    mark_not_interested(member, movies[0])
    add_to_watchlist(member, movies[0])
    assert not NotInterested.objects.filter(user=member).exists()


def test_a_change_is_announced_after_commit_only(
    member, movies, django_capture_on_commit_callbacks
):
    heard = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    watchlist_changed.connect(listen, dispatch_uid="test-watchlist")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            add_to_watchlist(member, movies[0])
        assert heard == [] and len(callbacks) == 1
        callbacks[0]()
        assert heard[0]["movie_id"] == movies[0].pk and heard[0]["on_watchlist"] is True
    finally:
        watchlist_changed.disconnect(dispatch_uid="test-watchlist")


# ---------------------------------------------------------------------------- adding and removing
def test_add_from_a_card_goes_back_to_the_page_it_came_from(client, member, movies):
    response = add(client, movies[2], next="/movies/?genre=Drama&page=1")
    assert response.status_code == 302 and response.url == "/movies/?genre=Drama&page=1"
    assert WatchlistEntry.objects.filter(user=member, movie=movies[2]).exists()
    html = client.get(response.url).content.decode()
    assert f"Added {movies[2].title} to your watchlist." in html


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_is_followed_only_when_it_stays_on_the_site(client, member, movies, target):
    response = add(client, movies[2], next=target)
    assert response.status_code == 302 and response.url == movies[2].get_absolute_url()


def test_adding_again_says_so_and_changes_nothing(client, member, movies):
    add(client, movies[0])
    response = add(client, movies[0], next=WATCHLIST)
    assert WatchlistEntry.objects.count() == 1
    assert "is already on your watchlist" in client.get(response.url).content.decode()


def test_remove_from_the_watchlist_page(client, member, movies):
    add_to_watchlist(member, movies[0])
    response = client.post(
        reverse("catalog:watchlist-remove", args=[movies[0].pk]), {"next": WATCHLIST}
    )
    assert response.status_code == 302 and response.url == WATCHLIST
    assert not WatchlistEntry.objects.exists()
    html = client.get(WATCHLIST).content.decode()
    assert f"Removed {movies[0].title} from your watchlist." in html
    assert "Your watchlist is empty." in html


def test_anonymous_posts_store_nothing_and_ask_to_log_in(movies):
    response = Client().post(reverse("catalog:watchlist-add", args=[movies[0].pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not WatchlistEntry.objects.exists()


def test_csrf_is_required(movies):
    user = make_member("mallory-victim")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(reverse("catalog:watchlist-add", args=[movies[0].pk]))
    assert response.status_code == 403
    assert not WatchlistEntry.objects.exists()


def test_only_post_changes_anything(client, member, movies):
    response = client.get(reverse("catalog:watchlist-add", args=[movies[0].pk]))
    assert response.status_code == 405 and not WatchlistEntry.objects.exists()


@pytest.mark.parametrize("movie_id", ["999999", "9" * 19, "9" * 40])
def test_unknown_and_huge_movie_ids_are_404(client, member, movie_id):
    response = client.post(f"/movies/{movie_id}/watchlist/")
    assert response.status_code == 404 and not WatchlistEntry.objects.exists()


# ---------------------------------------------------------------------------- where the buttons are
def test_cards_offer_add_or_remove_by_the_visitors_watchlist(client, member, movies):
    add_to_watchlist(member, movies[0])
    html = client.get(reverse("catalog:browse"), {"sort": "title"}).content.decode()
    assert f'action="/movies/{movies[0].pk}/watchlist/remove/"' in html
    assert f'action="/movies/{movies[1].pk}/watchlist/"' in html
    hidden = '<span class="visually-hidden"> {}</span>'
    assert f"Remove{hidden.format(movies[0].title)} from watchlist" in html
    assert f"Add{hidden.format(movies[1].title)} to watchlist" in html


def test_the_movie_page_has_the_watchlist_button(client, member, movies):
    page = client.get(movies[4].get_absolute_url()).content.decode()
    assert f'action="/movies/{movies[4].pk}/watchlist/"' in page
    add_to_watchlist(member, movies[4])
    page = client.get(movies[4].get_absolute_url()).content.decode()
    assert "On your <a" in page and f'action="/movies/{movies[4].pk}/watchlist/remove/"' in page


def test_anonymous_cards_have_no_watchlist_forms(movies):
    html = Client().get(reverse("catalog:browse")).content.decode()
    assert "/watchlist/" not in html.split('id="main"')[1]


# ---------------------------------------------------------------------------- the watchlist page
def test_the_page_lists_my_watchlist_newest_first(client, member, movies):
    for days, movie in enumerate(movies[:3]):
        add_to_watchlist(member, movie)
        WatchlistEntry.objects.filter(movie=movie).update(
            added_at=timezone.now() - dt.timedelta(days=days)
        )
    add_to_watchlist(make_member("grace"), movies[9])  # never shown to ada
    response = client.get(WATCHLIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert card_titles(html) == [movies[0].title, movies[1].title, movies[2].title]
    assert "3 movies to watch" in html
    assert f'<a href="{WATCHLIST}" aria-current="page">Watchlist</a>' in html


def test_the_page_is_paginated(client, member, movies):
    for days, movie in enumerate(movies[: WATCHLIST_PAGE_SIZE + 2]):
        add_to_watchlist(member, movie)
        WatchlistEntry.objects.filter(movie=movie).update(
            added_at=timezone.now() - dt.timedelta(days=days)
        )
    first = card_titles(client.get(WATCHLIST).content.decode())
    second = card_titles(client.get(WATCHLIST, {"page": "2"}).content.decode())
    assert len(first) == WATCHLIST_PAGE_SIZE and second == [m.title for m in movies[24:26]]
    for bad in ("3", "abc", "0", "9" * 5000):
        response = client.get(WATCHLIST, {"page": bad})
        assert response.status_code == 404
        assert "your watchlist has 2 pages" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(movies):
    response = Client().get(WATCHLIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_real_login_reaches_the_watchlist(movies):
    make_member("real")
    browser = Client()
    assert browser.login(username="real", password=PASSWORD)
    assert browser.get(WATCHLIST).status_code == 200


# ---------------------------------------------------------------------------- and the picks
def test_watchlisted_movies_leave_the_popularity_picks_at_once(member, movies):
    first = todays_picks(member, k=6)
    top = first.rows[0].movie
    add_to_watchlist(member, top)
    after = todays_picks(member, k=6)  # cached picks must not hide the change
    assert top.pk not in [pick.movie.pk for pick in after.rows]
    assert len(after.rows) == 6
    remove_from_watchlist(member, top)
    assert todays_picks(member, k=6).rows[0].movie.pk == top.pk


def test_adding_from_a_pick_card_removes_it_from_the_home_page(client, member, movies):
    home = client.get(reverse("home")).content.decode()
    top_title = card_titles(home)[0]
    top = Movie.objects.get(title=top_title)
    response = add(client, top, next="/")
    assert response.url == "/"
    assert top_title not in card_titles(client.get("/").content.decode())


def test_the_query_count_does_not_grow_with_the_watchlist(client, member, movies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(WATCHLIST).status_code == 200
        return len(captured)

    add_to_watchlist(member, movies[0])
    few = queries()
    for movie in movies[1:20]:
        add_to_watchlist(member, movie)
    assert queries() == few


def test_staff_see_both_lists_in_the_admin(movies):
    from django.contrib.auth.models import User

    member = make_member("listed")
    add_to_watchlist(member, movies[0])
    mark_not_interested(member, movies[1])
    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-long-enough"))
    for name in ("watchlistentry", "notinterested"):
        page = staff.get(reverse(f"admin:catalog_{name}_changelist"))
        assert page.status_code == 200 and "listed" in page.content.decode()
