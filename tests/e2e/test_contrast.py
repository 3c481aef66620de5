"""Every control is readable: WCAG AA contrast (4.5:1 for text), measured in Chromium.

The header on every page, and every link, button and text field of the pages with the most
controls: a paginated list, a search with "Did you mean …", and a movie page offering Undo.

The colours are the ones the browser computed after the whole stylesheet applied, so a rule that
loses on specificity (the "Sign up" button once had the header's own colour as its text colour on
a transparent background) fails here even though each rule looks right on its own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.showcase import build_showcase
from tests.webapp.catalog_data import PASSWORD, make_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WCAG_AA_TEXT = 4.5

# For each visible link, button and text field in the header: its text, its computed text colour
# and the background behind it (its own, else the nearest ancestor's, alpha-composited), and the
# contrast ratio of the two by WCAG 2's relative-luminance formula.
CONTRAST_JS = """
(selector) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    const [r, g, b, a] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const background = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] === 1) break;
    }
    return layers.reduceRight((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const luminance = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const controls = document.querySelectorAll(selector);
  return Array.from(controls)
    .filter((el) => el.getClientRects().length > 0 && !el.closest(".visually-hidden")
                    && !el.classList.contains("skip-link"))
    .map((el) => {
      const text = over(parse(getComputedStyle(el).color), background(el));
      const back = background(el);
      const [hi, lo] = [luminance(text), luminance(back)].sort((x, y) => y - x);
      return {
        name: (el.innerText || el.value || el.placeholder || el.getAttribute("aria-label") || "")
          .trim().replace(/\\s+/g, " "),
        ratio: (hi + 0.05) / (lo + 0.05),
      };
    });
}
"""


HEADER_CONTROLS = ".site-header a, .site-header button, .site-header input"
# Radio buttons and checkboxes draw no text of their own (their labels are checked as text).
MAIN_CONTROLS = (
    "main a, main button, main select, main textarea, "
    "main input:not([type=radio]):not([type=checkbox]):not([type=hidden])"
)


def header_contrast(page: Page) -> dict[str, float]:
    return contrast(page, HEADER_CONTROLS)


def contrast(page: Page, selector: str) -> dict[str, float]:
    return {item["name"]: item["ratio"] for item in page.evaluate(CONTRAST_JS, selector)}


def assert_readable(ratios: dict[str, float], expected: set[str]) -> None:
    assert expected <= set(ratios), ratios
    low = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < WCAG_AA_TEXT}
    assert not low, f"header controls below {WCAG_AA_TEXT}:1 contrast: {low}"


def test_header_controls_of_a_visitor_are_readable(page: Page):
    build_showcase(n_people=3)
    for path in ("/", "/movies/", "/accounts/login/"):
        page.goto(path)
        assert_readable(
            header_contrast(page), {"SpikeLens", "Search", "Browse", "Log in", "Sign up"}
        )


def test_header_controls_on_a_phone_are_readable_with_the_menu_closed_and_open(page: Page):
    build_showcase(n_people=3)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/movies/", "/accounts/login/"):
        page.goto(path)
        assert_readable(header_contrast(page), {"SpikeLens", "Menu"})
        page.get_by_role("button", name="Menu").click()
        assert_readable(
            header_contrast(page), {"SpikeLens", "Menu", "Search", "Browse", "Log in", "Sign up"}
        )


@pytest.mark.parametrize("width", [1280, 390])
def test_every_control_of_lists_search_and_movie_pages_is_readable(page: Page, width: int):
    build_showcase(n_people=3)
    make_member("reader")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    page.goto("/movies/?page=2")  # page links, the current one highlighted, filters
    assert_readable(
        contrast(page, MAIN_CONTROLS), {"« First page", "‹ Previous page", "Page 2", "Apply"}
    )
    page.goto("/movies/?q=godfater")  # "Did you mean …"
    assert_readable(contrast(page, MAIN_CONTROLS), {"godfather", "Rate Godfather, The"})

    page.goto("/movies/?q=fargo")
    page.locator(".card-link").first.click()
    page.locator("label[title='4 stars']").first.click()
    page.get_by_role("button", name="Save rating").click()
    page.get_by_role("button", name="Remove my rating").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    assert_readable(contrast(page, MAIN_CONTROLS), {"Undo", "Save rating", "Look it up on IMDb"})


def test_header_controls_of_a_member_are_readable(page: Page):
    build_showcase(n_people=3)
    make_member("reader")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/movies/")
    assert_readable(
        header_contrast(page), {"SpikeLens", "Browse", "Upload", "Preferences", "Log out (reader)"}
    )


def test_sign_up_button_is_a_light_button_on_the_dark_header(page: Page):
    """The regression itself: the button's own background is light and its text dark."""
    build_showcase(n_people=3)
    page.goto("/")
    button = page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up")
    colours = button.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours == ["rgb(29, 53, 87)", "rgb(255, 255, 255)"]


WCAG_AA_GRAPHICS = 3.0


def test_rating_stars_are_readable_graphics_and_their_state_shows_by_shape(page: Page):
    """Stars carry the rating's state with no text: 3:1 for graphics (WCAG 1.4.11) in both
    states, and set stars are filled while unset ones are outlined, so colour is not the only cue."""
    build_showcase(n_people=3)
    make_member("rater")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rater")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.goto("/movies/?q=fargo")
    page.locator(".card-link").first.click()
    page.locator("label[title='3 stars']").first.click()
    page.get_by_role("button", name="Save rating").click()

    ratios = [item["ratio"] for item in page.evaluate(CONTRAST_JS, "main .stars label")]
    assert ratios and min(ratios) >= WCAG_AA_GRAPHICS, ratios
    glyphs = page.evaluate(
        """() => Array.from(document.querySelectorAll("main .stars-large label")).map(
             (el) => [el.title, getComputedStyle(el, "::before").content])"""
    )
    by_title = dict(glyphs)
    assert by_title["3 stars"] == '"★"' and by_title["1 star"] == '"★"', glyphs
    assert by_title["4 stars"] == '"☆"' and by_title["5 stars"] == '"☆"', glyphs
