"""The predicted match in Chromium: its explanation appears on hover and on keyboard focus,
with the strict Content-Security-Policy on and no console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.webapp.catalog_data import PASSWORD, make_member
from tests.webapp.conftest import skewed_artifact, skewed_site  # noqa: F401 (fixtures)
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_match_is_explained_on_hover_and_focus(page: Page, skewed_site):  # noqa: F811
    fan = make_member("fan")
    for movie in Movie.objects.filter(genres__name="Sci-Fi").order_by("pk")[:3]:
        rate_movie(fan, movie, 5)
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("fan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    movie = Movie.objects.filter(genres__name="Thriller").order_by("pk").first()
    page.goto(movie.get_absolute_url())
    badge = page.locator(".movie-info .match-value")
    why = page.locator(".movie-info .match-why")
    expect(badge).to_have_text(re.compile(r"^\d+% match$"))
    # Screen readers announce the explanation with the badge.
    expect(badge).to_have_accessible_description(re.compile(r"rate .+ 4 or 5 stars"))
    expect(why).to_be_hidden()
    badge.hover()
    expect(why).to_be_visible()
    page.mouse.move(0, 0)
    expect(why).to_be_hidden()
    badge.focus()
    expect(badge).to_be_focused()
    expect(why).to_be_visible()
    assert why.get_attribute("id") == badge.get_attribute("aria-describedby")
    page.goto("/")
    expect(page.locator(".card .match-value").first).to_have_text(re.compile(r"^\d+% match$"))
    assert errors == []
