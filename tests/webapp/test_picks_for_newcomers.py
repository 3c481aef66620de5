"""A newcomer who only picked favourite genres gets picks in those genres, with true reasons."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.models import Genre
from webapp.recommender.picks import todays_picks

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

WANTED = ("Sci-Fi", "Thriller")


def newcomer(name="newcomer", genres=WANTED):
    make_genres(genres)
    return make_member(name, genres=Genre.objects.filter(name__in=genres))


def test_a_sci_fi_and_thriller_newcomer_gets_mostly_those(skewed_site):
    picks = todays_picks(newcomer(), k=12)
    assert picks.personalised and len(picks.rows) == 12
    in_genre = [p for p in picks.rows if set(p.movie.genre_names) & set(WANTED)]
    assert len(in_genre) >= 9, [p.movie.title for p in picks.rows]


def test_every_reason_is_true_for_its_movie(skewed_site):
    for pick in todays_picks(newcomer(), k=12).rows:
        named = re.fullmatch(r"For fans of (.+)", pick.reason)
        if named:
            assert set(named.group(1).split(", ")) <= set(pick.movie.genre_names), pick
        else:  # no rating to name and no favourite genre it has: the towers' part of the score
            assert pick.reason == "Popular with people like you", pick


def test_a_movie_outside_the_favourites_never_claims_them(skewed_site):
    """A newcomer whose only favourite is rare still sees some other movies; those say so."""
    user = newcomer("horror-fan", genres=("Horror",))
    for pick in todays_picks(user, k=40).rows:
        if "Horror" not in pick.movie.genre_names:
            assert "Horror" not in pick.reason


def test_the_home_page_shows_the_steered_picks(client, skewed_site):
    client.force_login(newcomer())
    html = client.get(reverse("home")).content.decode()
    html = html.split('id="new-heading"')[0]  # the picks only, not "New on SpikeLens"
    cards = re.findall(r'<article class="card">(.*?)</article>', html, flags=re.S)
    assert len(cards) == 12
    steered = [card for card in cards if re.search(r'class="tag">(Sci-Fi|Thriller)<', card)]
    assert len(steered) >= 9
    for card in cards:
        if "For fans of" in card:
            assert card in steered
