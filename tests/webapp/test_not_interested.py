""" "Not interested" on a pick: hidden at once, offered back with Undo on the next page of picks,
fed to the model as a dismissal, and listed under "My ratings" to show again."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import Movie, NotInterested
from webapp.catalog.services import clear_not_interested, mark_not_interested
from webapp.catalog.signals import interest_changed
from webapp.recommender.picks import plan_picks, read_taste, todays_picks, user_query
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.django_db
HOME = reverse("home")


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


def pick_titles(html: str) -> list[str]:
    picks = html.split('id="picks-heading"')[1].split("</section>")[0]
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', picks)


def dismiss(client, movie, next_url=HOME):
    return client.post(reverse("catalog:not-interested", args=[movie.pk]), {"next": next_url})


# ---------------------------------------------------------------------------- domain functions
def test_one_mark_per_movie(member, movies):
    assert mark_not_interested(member, movies[0]) is True
    assert mark_not_interested(member, movies[0]) is False
    with pytest.raises(IntegrityError), transaction.atomic():
        NotInterested.objects.create(user=member, movie=movies[0])
    assert NotInterested.objects.count() == 1


def test_clearing_some_or_all(member, movies):
    for movie in movies[:3]:
        mark_not_interested(member, movie)
    mark_not_interested(make_member("grace"), movies[0])
    assert clear_not_interested(member, [movies[0].pk, movies[9].pk]) == 1
    assert clear_not_interested(member) == 2
    assert not NotInterested.objects.filter(user=member).exists()
    assert NotInterested.objects.count() == 1  # someone else's mark is theirs


def test_dismissals_are_announced_after_commit(member, movies, django_capture_on_commit_callbacks):
    heard = []
    interest_changed.connect(
        lambda sender, **kw: heard.append(kw), dispatch_uid="test-interest", weak=False
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            mark_not_interested(member, movies[0])
            assert heard == []
        assert heard[-1]["movie_ids"] == frozenset({movies[0].pk})
        assert heard[-1]["not_interested"] is True
        with django_capture_on_commit_callbacks(execute=True):
            clear_not_interested(member)
        assert heard[-1]["not_interested"] is False
    finally:
        interest_changed.disconnect(dispatch_uid="test-interest")


def test_the_model_is_told_what_was_dismissed(member, movies):
    mark_not_interested(member, movies[0])
    mark_not_interested(member, movies[1])
    query = user_query(member, read_taste(member))
    assert query.not_interested == frozenset({movies[0].pk, movies[1].pk})


# ---------------------------------------------------------------------------- hiding a pick
def test_a_dismissed_pick_is_gone_from_the_next_render_of_the_picks(client, member, movies):
    before = pick_titles(client.get(HOME).content.decode())
    top = Movie.objects.get(title=before[0])
    response = dismiss(client, top)
    assert response.status_code == 302 and response.url == HOME
    after = pick_titles(client.get(HOME).content.decode())
    assert top.title not in after
    assert after[: len(before) - 1] == before[1:]  # the rest move up
    assert NotInterested.objects.filter(user=member, movie=top).exists()


def test_the_next_page_offers_undo_once_and_undo_brings_the_pick_back(client, member, movies):
    top = Movie.objects.get(title=pick_titles(client.get(HOME).content.decode())[0])
    dismiss(client, top)
    html = client.get(HOME).content.decode()
    assert f"{top.title} won't be picked for you again." in html
    undo = re.search(
        r'<form method="post" action="(/movies/\d+/not-interested/undo/)" class="inline-form">'
        r'.*?name="next" value="([^"]+)"',
        html,
        re.S,
    )
    assert undo and undo.group(1) == f"/movies/{top.pk}/not-interested/undo/"
    # Shown once: a reload no longer offers it.
    assert "won't be picked for you again" not in client.get(HOME).content.decode()
    response = client.post(undo.group(1), {"next": undo.group(2)})
    assert response.status_code == 302 and response.url == HOME
    assert not NotInterested.objects.exists()  # undo deletes the row
    html = client.get(HOME).content.decode()
    assert pick_titles(html)[0] == top.title
    assert f"{top.title} can be picked for you again." in html


def test_pick_cards_and_only_pick_cards_offer_not_interested(client, member, movies):
    home = client.get(HOME).content.decode()
    picks = home.split('id="picks-heading"')[1].split("</section>")[0]
    assert picks.count("/not-interested/") == len(pick_titles(home)) == 12
    browse = client.get(reverse("catalog:browse")).content.decode()
    assert "/not-interested/" not in browse
    assert "/not-interested/" not in client.get(movies[0].get_absolute_url()).content.decode()


def test_the_plan_key_changes_with_the_dismissals(member, movies):
    key = plan_picks(member).key
    mark_not_interested(member, movies[0])
    dismissed_key = plan_picks(member).key
    assert dismissed_key != key
    clear_not_interested(member)
    mark_not_interested(member, movies[1])
    assert plan_picks(member).key not in (key, dismissed_key)


def test_popularity_picks_never_show_a_dismissed_movie(member, movies):
    top = [pick.movie for pick in todays_picks(member, k=12).rows]
    for movie in top[:5]:
        mark_not_interested(member, movie)
    shown = [pick.movie.pk for pick in todays_picks(member, k=12).rows]
    assert not {movie.pk for movie in top[:5]} & set(shown) and len(shown) == 12


# ---------------------------------------------------------------------------- refusals
def test_anonymous_dismissals_store_nothing(movies):
    response = Client().post(reverse("catalog:not-interested", args=[movies[0].pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not NotInterested.objects.exists()


@pytest.mark.parametrize(
    "name, args",
    [("catalog:not-interested", [1]), ("catalog:not-interested-undo", [1]),
     ("catalog:not-interested-clear", [])],
)  # fmt: skip
def test_csrf_is_required(movies, name, args):
    user = make_member("victim")
    mark_not_interested(user, movies[1])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(reverse(name, args=args)).status_code == 403
    assert list(NotInterested.objects.values_list("movie_id", flat=True)) == [movies[1].pk]


def test_never_redirects_off_site(client, member, movies):
    response = dismiss(client, movies[0], next_url="https://evil.example/x")
    assert response.status_code == 302 and response.url == HOME


@pytest.mark.parametrize("movie_id", ["424242", "9" * 25])
def test_unknown_movies_are_404(client, member, movie_id):
    assert client.post(f"/movies/{movie_id}/not-interested/").status_code == 404
    assert client.post(f"/movies/{movie_id}/not-interested/undo/").status_code == 404
    assert not NotInterested.objects.exists()


def test_undo_of_a_movie_never_dismissed_changes_nothing(client, member, movies):
    mark_not_interested(member, movies[1])
    response = client.post(reverse("catalog:not-interested-undo", args=[movies[0].pk]))
    assert response.status_code == 302
    assert NotInterested.objects.filter(movie=movies[1]).exists()


def test_a_stale_or_forged_undo_offer_in_the_session_is_ignored(client, member, movies):
    session = client.session
    session["catalog:dismissed-pick"] = {"movie_id": "x", "at": "yesterday"}
    session.save()
    assert client.get(HOME).status_code == 200
    session = client.session
    session["catalog:dismissed-pick"] = {"movie_id": movies[0].pk, "at": "2001-01-01T00:00:00"}
    session.save()
    assert "won't be picked" not in client.get(HOME).content.decode()


# ---------------------------------------------------------------------------- the list to clear
def test_show_again_and_show_all_again_from_my_ratings(client, member, movies):
    for movie in movies[:3]:
        mark_not_interested(member, movie)
    here = reverse("mine:ratings")
    response = client.post(
        reverse("catalog:not-interested-undo", args=[movies[0].pk]), {"next": here}
    )
    assert response.url == here
    assert set(NotInterested.objects.values_list("movie_id", flat=True)) == {
        movies[1].pk,
        movies[2].pk,
    }
    response = client.post(reverse("catalog:not-interested-clear"), {"next": here})
    assert response.url == here
    html = client.get(here).content.decode()
    assert "2 movies can be picked for you again." in html
    assert "Nothing is hidden." in html
