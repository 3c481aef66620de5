"""The movie page: facts, the visitor's own rating and review, recent reviews, similar movies."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie

pytestmark = pytest.mark.django_db


@pytest.fixture
def genres():
    return make_genres()


@pytest.fixture
def alien(genres):
    movie = Movie.objects.create(title="Alien", year=1979, description="In space no one\ncan hear.")
    movie.genres.set([genres["Horror"], genres["Sci-Fi"]])
    return movie


def test_shows_facts_generated_poster_and_average(client, alien):
    critic = make_member("critic")
    rate_movie(critic, alien, 4, "Tense.")
    rate_movie(make_member("fan"), alien, 5, "")
    html = client.get(alien.get_absolute_url()).content.decode()
    assert '<h1>Alien <span class="year">(1979)</span></h1>' in html
    assert "Horror" in html and "Sci-Fi" in html
    assert "In space no one<br>can hear." in html
    assert "Average ★ 4.50 from 2 ratings" in html
    poster = reverse("catalog:generated-poster", args=[alien.pk])
    assert f'src="{poster}" alt="Poster of Alien"' in html


def test_anonymous_visitor_is_invited_to_log_in_to_rate(client, alien):
    html = client.get(alien.get_absolute_url()).content.decode()
    assert "to rate this movie" in html and "rating-form" not in html


def test_own_rating_is_prefilled_and_removable(client, alien):
    user = make_member("ada")
    rate_movie(user, alien, 3, "Good, not great.")
    client.force_login(user)
    html = client.get(alien.get_absolute_url()).content.decode()
    assert 'value="3" id="id_score_2" checked' in html
    assert ">\nGood, not great.</textarea>" in html
    assert "Update rating" in html and "Remove my rating" in html


def test_recent_reviews_newest_first_and_skip_star_only_ratings(client, alien):
    for i in range(12):
        rate_movie(make_member(f"reviewer{i:02d}"), alien, 1 + i % 5, f"Review number {i:02d}")
    rate_movie(make_member("silent"), alien, 5, "")
    html = client.get(alien.get_absolute_url()).content.decode()
    assert html.index("Review number 11") < html.index("Review number 10")
    assert "Review number 02" in html and "Review number 01" not in html  # ten most recent
    assert "silent" not in html


def test_reviews_are_escaped(client, alien):
    user = User.objects.create_user("<b>bold</b>", password="pw-long-enough")
    rate_movie(user, alien, 4, 'He said "<i>wow</i>" & left')
    html = client.get(alien.get_absolute_url()).content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&quot;&lt;i&gt;wow&lt;/i&gt;&quot; &amp; left" in html


def test_similar_movies_without_a_model_share_genres(client, genres, alien):
    aliens = Movie.objects.create(title="Aliens", year=1986, rating_count=10)
    aliens.genres.set([genres["Horror"], genres["Sci-Fi"], genres["Action"]])
    scream = Movie.objects.create(title="Scream", year=1996, rating_count=500)
    scream.genres.set([genres["Horror"]])
    annie = Movie.objects.create(title="Annie Hall", year=1977, rating_count=900)
    annie.genres.set([genres["Comedy"]])
    response = client.get(alien.get_absolute_url())
    similar = [movie.title for movie in response.context["similar"]]
    assert similar == ["Aliens", "Scream"]  # two shared genres beat one; none shared never shows


def test_unknown_movie_is_a_friendly_404(client):
    response = client.get(reverse("catalog:movie-detail", args=[424242]))
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
