"""The header on a 390 px phone: one row with the menu closed, every link reachable when open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.showcase import build_showcase
from tests.webapp.catalog_data import PASSWORD, make_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
VISITOR_LINKS = ["Browse", "Log in", "Sign up"]
MEMBER_LINKS = ["Browse", "Upload", "Preferences"]


def header_rows(page: Page) -> int:
    """How many rows the header's visible controls occupy (by their vertical centres)."""
    return page.evaluate(
        """() => {
          const centres = Array.from(document.querySelectorAll(
              ".site-header a, .site-header button, .site-header input"))
            .filter((el) => el.getClientRects().length > 0 && !el.closest(".visually-hidden"))
            .map((el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; });
          const rows = [];
          for (const c of centres.sort((a, b) => a - b)) {
            if (!rows.length || c - rows[rows.length - 1] > 12) rows.push(c);
          }
          return rows.length;
        }"""
    )


def menu_button(page: Page):
    return page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu")


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


@pytest.fixture
def phone(page: Page) -> Page:
    build_showcase(n_people=3)
    page.set_viewport_size(PHONE)
    return page


def test_closed_menu_leaves_a_one_row_header(phone: Page, screenshot):
    phone.goto("/movies/")
    button = menu_button(phone)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "site-menu")
    for name in VISITOR_LINKS:
        expect(nav(phone).get_by_role("link", name=name, exact=True)).to_be_hidden()
    expect(phone.get_by_role("searchbox", name="Search movies by title")).to_be_hidden()
    assert header_rows(phone) == 1
    assert phone.locator(".site-header").bounding_box()["height"] < 64
    screenshot(phone, "header-390-closed")


def test_open_menu_reaches_every_link_and_the_search(phone: Page, screenshot):
    phone.goto("/movies/")
    menu_button(phone).click()
    expect(menu_button(phone)).to_have_attribute("aria-expanded", "true")
    for name in VISITOR_LINKS:
        link = nav(phone).get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        expect(link).to_be_in_viewport()
    screenshot(phone, "header-390-open")
    phone.get_by_role("searchbox", name="Search movies by title").fill("godfater")
    nav(phone).get_by_role("button", name="Search", exact=True).click()
    expect(phone.locator(".card-title").first).to_contain_text("Godfather")
    # Each page starts with the menu closed again.
    expect(menu_button(phone)).to_have_attribute("aria-expanded", "false")
    menu_button(phone).click()
    nav(phone).get_by_role("link", name="Sign up").click()
    expect(phone).to_have_url("/accounts/signup/")


def test_a_members_menu_holds_every_link_and_log_out(phone: Page):
    make_member("reader")
    phone.goto("/accounts/login/")
    phone.get_by_label("Username").fill("reader")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(menu_button(phone)).to_be_visible()
    assert header_rows(phone) == 1
    menu_button(phone).click()
    for name in MEMBER_LINKS:
        expect(nav(phone).get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    expect(nav(phone).get_by_role("button", name="Log out (reader)")).to_be_in_viewport()


def test_the_menu_works_from_the_keyboard(phone: Page):
    phone.goto("/")
    button = menu_button(phone)
    button.focus()
    phone.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("searchbox", name="Search movies by title")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    phone.keyboard.press("Space")
    expect(button).to_have_attribute("aria-expanded", "true")


def test_without_javascript_every_link_shows_and_no_dead_button(browser, live_server):
    build_showcase(n_people=3)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/")
        expect(menu_button(page)).to_be_hidden()
        for name in VISITOR_LINKS:
            expect(nav(page).get_by_role("link", name=name, exact=True)).to_be_visible()
    finally:
        context.close()


def test_wide_screens_show_the_links_and_no_menu_button(page: Page):
    build_showcase(n_people=3)
    page.goto("/")
    expect(menu_button(page)).to_be_hidden()
    for name in VISITOR_LINKS:
        expect(nav(page).get_by_role("link", name=name, exact=True)).to_be_visible()
    assert header_rows(page) == 1
