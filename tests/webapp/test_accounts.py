"""Sign-up, onboarding, preferences and password change."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import PASSWORD, make_catalogue, make_member
from webapp.accounts.models import Profile
from webapp.catalog.models import Rating

pytestmark = pytest.mark.django_db
SIGNUP = reverse("accounts:signup")
GENRES_STEP = reverse("accounts:onboarding-genres")
RATINGS_STEP = reverse("accounts:onboarding-ratings")
PREFERENCES = reverse("accounts:preferences")


@pytest.fixture
def catalogue():
    return make_catalogue(n_movies=20, n_raters=6, per_rater=8)


def sign_up(client, username="newbie", password="Sp1king-neurons!", **extra):
    return client.post(
        SIGNUP, {"username": username, "password1": password, "password2": password, **extra}
    )


def accounts_snapshot():
    return (
        sorted(User.objects.values_list("username", "password", "email")),
        sorted(Profile.objects.values_list("user_id", "age", "occupation", "onboarded")),
        sorted(Profile.favourite_genres.through.objects.values_list("profile_id", "genre_id")),
        sorted(Rating.objects.values_list("user_id", "movie_id", "score")),
    )


def test_sign_up_creates_a_profile_logs_in_and_starts_onboarding(client, catalogue):
    response = sign_up(client, email="new@example.org")
    assert response.status_code == 302 and response.url == GENRES_STEP
    user = User.objects.get(username="newbie")
    assert user.email == "new@example.org"
    assert Profile.objects.get(user=user).onboarded is False
    assert "Welcome to SpikeLens, newbie!" in client.get(GENRES_STEP).content.decode()


def test_home_reminds_people_who_have_not_finished_onboarding(client, catalogue):
    sign_up(client)
    assert "finish setting up" in client.get(reverse("home")).content.decode()


def test_onboarding_saves_genres_then_first_ratings(client, catalogue):
    sign_up(client)
    genres = catalogue.genres
    response = client.post(
        GENRES_STEP, {"favourite_genres": [genres["Comedy"].pk, genres["Horror"].pk]}
    )
    assert response.status_code == 302 and response.url == RATINGS_STEP
    profile = Profile.objects.get(user__username="newbie")
    assert sorted(g.name for g in profile.favourite_genres.all()) == ["Comedy", "Horror"]

    page = client.get(RATINGS_STEP)
    offered = page.context["form"].movies
    assert len(offered) == 12
    assert any({"Comedy", "Horror"} & set(movie.genre_names) for movie in offered[:6])
    first, second, third = offered[:3]
    response = client.post(
        RATINGS_STEP,
        {f"score-{first.pk}": "5", f"score-{second.pk}": "2", f"score-{third.pk}": ""},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    ratings = dict(Rating.objects.filter(user__username="newbie").values_list("movie_id", "score"))
    assert ratings == {first.pk: 5, second.pk: 2}
    profile.refresh_from_db()
    assert profile.onboarded
    assert "2 ratings saved" in client.get(reverse("home")).content.decode()


def test_both_onboarding_steps_can_be_skipped(client, catalogue):
    sign_up(client)
    assert client.post(GENRES_STEP, {"skip": "1"}).url == RATINGS_STEP
    assert client.post(RATINGS_STEP, {"skip": "1"}).url == reverse("home")
    profile = Profile.objects.get(user__username="newbie")
    assert profile.onboarded and not profile.favourite_genres.exists()
    assert not Rating.objects.filter(user__username="newbie").exists()


def test_bad_onboarding_score_is_refused_and_nothing_saved(client, catalogue):
    sign_up(client)
    movie = client.get(RATINGS_STEP).context["form"].movies[0]
    before = accounts_snapshot()
    response = client.post(RATINGS_STEP, {f"score-{movie.pk}": "11"})
    assert response.status_code == 400
    assert "A rating is a whole number of stars from 1 to 5." in response.content.decode()
    assert accounts_snapshot() == before


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"password2": "different-password-1"}, "The two password fields didn’t match."),
        ({"password1": "123", "password2": "123"}, "This password is too short."),
        ({"username": "<script>"}, "Enter a valid username."),
        ({"username": "x" * 151}, "Ensure this value has at most 150 characters"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
    ],
)
def test_bad_sign_up_is_refused_with_a_message(client, catalogue, payload, message):
    make_member("taken")
    before = accounts_snapshot()
    data = {"username": "newbie", "password1": "Sp1king-neurons!", "password2": "Sp1king-neurons!"}
    response = client.post(SIGNUP, {**data, **payload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert accounts_snapshot() == before


def test_taken_username_is_refused(client):
    make_member("taken")
    before = accounts_snapshot()
    response = sign_up(client, username="taken")
    assert response.status_code == 400
    assert "A user with that username already exists." in response.content.decode()
    assert accounts_snapshot() == before


def test_preferences_save_genres_age_range_and_occupation(client, catalogue):
    user = make_member("ada")
    client.force_login(user)
    page = client.get(PREFERENCES).content.decode()
    for label in ('for="id_age"', 'for="id_occupation"', "<legend>Favourite genres</legend>"):
        assert label in page
    response = client.post(
        PREFERENCES,
        {
            "favourite_genres": [catalogue.genres["Drama"].pk],
            "age": "30",
            "occupation": "scientist",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.age, profile.occupation) == (30, "scientist")
    assert [g.name for g in profile.favourite_genres.all()] == ["Drama"]
    page = client.get(PREFERENCES).content.decode()
    assert '<option value="30" selected>25–34</option>' in page
    assert "Your preferences were saved" in page


def test_profile_fields_are_optional(client, catalogue):
    user = make_member("ada")
    client.force_login(user)
    assert client.post(PREFERENCES, {"age": "", "occupation": ""}).status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.age, profile.occupation) == (None, "")


@pytest.mark.parametrize(
    "payload",
    [
        {"age": "200"},
        {"age": "thirty"},
        {"occupation": "<b>pirate</b>"},
        {"favourite_genres": ["999"]},
    ],
)
def test_bad_preferences_are_refused_and_nothing_changes(client, catalogue, payload):
    user = make_member("ada", genres=[catalogue.genres["Action"]])
    client.force_login(user)
    before = accounts_snapshot()
    response = client.post(PREFERENCES, payload)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert accounts_snapshot() == before


def test_account_made_in_the_admin_gets_a_profile_on_first_visit(client, catalogue):
    user = User.objects.create_user("staffer", password=PASSWORD)
    client.force_login(user)
    assert client.get(PREFERENCES).status_code == 200
    assert Profile.objects.filter(user=user).exists()
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("url", [PREFERENCES, GENRES_STEP, RATINGS_STEP])
def test_anonymous_posts_to_account_pages_change_nothing(client, catalogue, url):
    before = accounts_snapshot()
    response = client.post(url, {"favourite_genres": [catalogue.genres["Drama"].pk], "skip": "1"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert accounts_snapshot() == before


def test_sign_up_without_csrf_token_is_refused(catalogue):
    before = accounts_snapshot()
    response = sign_up(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert accounts_snapshot() == before


def test_password_change(client):
    user = make_member("ada")
    client.login(username="ada", password=PASSWORD)
    url = reverse("password_change")
    assert 'for="id_old_password"' in client.get(url).content.decode()
    wrong = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "N3w-secret-pass",
            "new_password2": "N3w-secret-pass",
        },
    )
    assert (
        wrong.status_code == 200
        and "Your old password was entered incorrectly" in wrong.content.decode()
    )
    assert authenticate(username="ada", password=PASSWORD) == user
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "N3w-secret-pass",
            "new_password2": "N3w-secret-pass",
        },
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert "Password changed" in client.get(response.url).content.decode()
    assert authenticate(username="ada", password="N3w-secret-pass") == user


def test_log_out_is_a_post_and_ends_the_session(client):
    make_member("ada")
    client.login(username="ada", password=PASSWORD)
    client.post(reverse("logout"))
    assert client.get(PREFERENCES).status_code == 302


def test_log_out_says_so_on_the_next_page(client):
    make_member("ada")
    client.login(username="ada", password=PASSWORD)
    response = client.post(reverse("logout"), follow=True)
    html = response.content.decode()
    assert "You are logged out. See you soon!" in html
    assert "Log out (ada)" not in html
    assert "You are logged out" not in client.get(reverse("home")).content.decode()
