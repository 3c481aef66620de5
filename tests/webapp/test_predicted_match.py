"""The predicted match ("NN% match") on pick cards and the movie page, explained accessibly."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from recsys.serving import read_artifact, write_artifact
from recsys.serving.calibration import match_percent
from tests.webapp.catalog_data import make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie
from webapp.recommender.models import ModelVersion
from webapp.recommender.picks import read_taste, todays_picks, user_query
from webapp.recommender.serving import model_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BADGE = re.compile(
    r'<span class="match-value" tabindex="0" aria-describedby="([\w-]+)">(\d+)% match</span>'
    r'<span class="match-why" id="\1" role="tooltip">([^<]+)</span>'
)


def sci_fi_fan():
    user = make_member("fan")
    for movie in Movie.objects.filter(genres__name="Sci-Fi").order_by("pk")[:3]:
        rate_movie(user, movie, 5)
    return user


def expected_percents(user, movie_ids) -> dict[int, int]:
    recommender = model_server.current().recommender
    probabilities = recommender.match_probabilities(user_query(user, read_taste(user)), movie_ids)
    return {movie_id: match_percent(p) for movie_id, p in probabilities.items()}


def test_pick_cards_show_the_calibrated_match(client, skewed_site):
    fan = sci_fi_fan()
    client.force_login(fan)
    html = client.get(reverse("home")).content.decode()
    cards = re.findall(r'<article class="card">(.*?)</article>', html, flags=re.S)
    picks = todays_picks(fan)
    expected = expected_percents(fan, [pick.movie.pk for pick in picks.rows])
    assert len(expected) == len(picks.rows) == 12
    shown = {}
    for card in cards[:12]:
        movie_id = int(re.search(r'href="/movies/(\d+)/"', card).group(1))
        badge = BADGE.search(card)
        assert badge, card
        shown[movie_id] = int(badge.group(2))
        assert "4 or 5 stars" in badge.group(3)
    assert shown == expected
    assert len(set(shown.values())) > 1  # it tells movies apart


def test_the_movie_page_shows_the_match_for_the_movie_and_similar_ones(client, skewed_site):
    fan = sci_fi_fan()
    client.force_login(fan)
    movie = Movie.objects.filter(genres__name="Thriller").order_by("pk").first()
    response = client.get(movie.get_absolute_url())
    html = response.content.decode()
    similar = [m.pk for m in response.context["similar"]]
    expected = expected_percents(fan, [movie.pk, *similar])
    badges = BADGE.findall(html)
    assert badges[0][0] == f"match-why-movie-{movie.pk}"
    assert int(badges[0][1]) == expected[movie.pk]
    assert f"rate {movie.title} 4 or 5 stars" in badges[0][2]
    assert [int(b[1]) for b in badges[1:]] == [expected[pk] for pk in similar]
    ids = [b[0] for b in badges]
    assert len(ids) == len(set(ids))  # every aria-describedby names exactly one tooltip


def test_anonymous_visitors_see_no_match(client, skewed_site):
    movie = Movie.objects.order_by("pk").first()
    assert "% match" not in client.get(movie.get_absolute_url()).content.decode()
    assert "% match" not in client.get(reverse("home")).content.decode()


def test_a_model_without_calibration_shows_no_match(client, skewed_site, tmp_path):
    contents = read_artifact(ModelVersion.objects.get(is_active=True).artifact_path)
    contents.config = {k: v for k, v in contents.config.items() if k != "calibration"}
    old = write_artifact(tmp_path / "old", contents)
    ModelVersion.objects.update(is_active=False)
    ModelVersion.objects.create(name="before-calibration", artifact_path=str(old), is_active=True)
    model_server.refresh()
    assert model_server.current().name == "before-calibration"
    fan = sci_fi_fan()
    client.force_login(fan)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "% match" not in home.content.decode()
    assert todays_picks(fan).personalised
    movie = Movie.objects.order_by("pk").first()
    page = client.get(movie.get_absolute_url())
    assert page.status_code == 200 and "% match" not in page.content.decode()
