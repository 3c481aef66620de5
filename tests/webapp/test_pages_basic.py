"""The first pages answer for anonymous and logged-in visitors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from webapp.catalog.models import Genre, Movie

pytestmark = pytest.mark.django_db


@pytest.fixture
def movies():
    drama = Genre.objects.create(name="Drama")
    quiet = Movie.objects.create(title="Quiet Film", year=1990, rating_count=3, rating_mean=4.0)
    loud = Movie.objects.create(title="Loud Film", year=1995, rating_count=50, rating_mean=3.5)
    quiet.genres.add(drama)
    return quiet, loud


def test_home_lists_popular_movies_first(client, movies):
    quiet, loud = movies
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Loud Film") < html.index("Quiet Film")


def test_movie_page_shows_title_genres_and_average(client, movies):
    quiet, _ = movies
    response = client.get(quiet.get_absolute_url())
    assert response.status_code == 200
    assert b"Quiet Film" in response.content and b"Drama" in response.content
    assert b"4.00" in response.content


def test_unknown_movie_is_404(client):
    assert client.get(reverse("catalog:movie-detail", args=[999999])).status_code == 404


def test_log_in_and_out(client):
    User.objects.create_user("grace", password="correct-horse-battery")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "grace", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert b"Log out (grace)" in client.get(reverse("home")).content
    client.post(reverse("logout"))
    assert b"Log in" in client.get(reverse("home")).content
