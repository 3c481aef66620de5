"""Every movie without an uploaded poster gets one drawn from its title, year and genres."""

from __future__ import annotations

import colorsys
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.webapp.catalog_data import image_bytes, make_genres
from webapp.catalog.generated_posters import (
    GENRE_PALETTES,
    HUE_RANGE_DEGREES,
    display_title,
    palette_for,
    poster_svg,
)
from webapp.catalog.models import Movie
from webapp.catalog.posters import clean_poster

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "</text><script>alert(1)</script><text>"


def parse(svg: bytes) -> ET.Element:
    """The SVG as XML: a parse error here would be a broken image in the browser."""
    return ET.fromstring(svg)


def drawn_text(root: ET.Element) -> str:
    return " ".join(" ".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_same_movie_gives_the_same_bytes():
    first = poster_svg("Alien", 1979, ["Horror", "Sci-Fi"])
    assert first == poster_svg("Alien", 1979, ["Sci-Fi", "Horror"])
    assert first != poster_svg("Alien", 1986, ["Horror", "Sci-Fi"])


def test_title_year_and_genres_are_drawn():
    root = parse(poster_svg("Godfather, The", 1972, ["Crime", "Drama"]))
    text = drawn_text(root)
    assert "The Godfather" in text and "1972" in text and "Crime · Drama" in text


def test_different_genres_get_different_palettes():
    horror = poster_svg("Same Title", 2000, ["Horror"])
    comedy = poster_svg("Same Title", 2000, ["Comedy"])
    assert GENRE_PALETTES["Horror"].top in horror.decode()
    assert GENRE_PALETTES["Comedy"].top in comedy.decode()
    assert GENRE_PALETTES["Horror"].top not in comedy.decode()
    # The distinctive genre colours the poster, not the broad one listed next to it.
    assert palette_for(["Drama", "Film-Noir"]) == GENRE_PALETTES["Film-Noir"]
    assert len({p.top for p in GENRE_PALETTES.values()}) == len(GENRE_PALETTES)


def test_an_evil_title_stays_text():
    svg = poster_svg(EVIL, 2001, ["Drama"])
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script")) and b"<script" not in svg
    assert "alert(1)" in drawn_text(root)
    assert all(not key.startswith("on") for node in root.iter() for key in node.attrib)


@pytest.mark.parametrize(
    "title",
    ["A\x00B\x1b\ufffeC", "Quote \" and ' & amp", "x" * 200, "Ünïcødé 東京物語 🎬", "   "],
)
def test_awkward_titles_still_give_well_formed_svg(title):
    root = parse(poster_svg(title, None, []))
    assert root.tag == f"{SVG}svg"
    assert not root.attrib.get("style") and not list(root.iter(f"{SVG}style"))


def test_trailing_articles_move_to_the_front():
    assert display_title("Shining, The") == "The Shining"
    assert display_title("Room with a View, A") == "A Room with a View"
    assert display_title("Alien") == "Alien"


SCI_FI_CLASSICS = [
    ("Star Wars", 1977, ["Action", "Adventure", "Romance", "Sci-Fi", "War"]),
    ("Contact", 1997, ["Drama", "Sci-Fi"]),
    ("Twelve Monkeys", 1995, ["Drama", "Sci-Fi"]),
]
# Titles of every kind and length, for the properties that must hold for any poster.
MANY_TITLES = [
    *(f"{word} {n}" for n, word in enumerate(["Night", "Day", "Star", "Road", "Heart"] * 5)),
    "Godfather, The", "Twelve Monkeys", "Star Wars", "A" * 90, "Ünïcødé 東京物語 🎬", "x",
    "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb",
]  # fmt: skip


def stops(root: ET.Element) -> list[str]:
    """The background gradient's colours, top first."""
    gradient = root.find(f"{SVG}defs/{SVG}linearGradient")
    return [stop.get("stop-color") for stop in gradient.iter(f"{SVG}stop")]


def figure(root: ET.Element) -> list[tuple]:
    """The abstract figure (clipped above the title): every shape with its place and colour."""
    group = next(g for g in root.iter(f"{SVG}g") if g.get("clip-path"))
    return [
        (node.tag.removeprefix(SVG), tuple(sorted(node.attrib.items())))
        for node in group.iter()
        if node is not group
    ]


def hue_degrees(colour: str) -> float:
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return colorsys.rgb_to_hls(*rgb)[0] * 360


def wcag_ratio(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(one), luminance(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def composite(top: str, alpha: float, bottom: str) -> str:
    """``top`` at ``alpha`` over ``bottom``, as a browser blends them (in sRGB)."""
    mixed = (
        round(alpha * int(top[i : i + 2], 16) + (1 - alpha) * int(bottom[i : i + 2], 16))
        for i in (1, 3, 5)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def test_three_sci_fi_classics_get_three_different_posters():
    posters = [parse(poster_svg(*movie)) for movie in SCI_FI_CLASSICS]
    tops = [stops(root)[0] for root in posters]
    assert len(set(tops)) == 3, tops  # three different colours at the top
    figures = [figure(root) for root in posters]
    assert len({tuple(f) for f in figures}) == 3  # three different figures or placements
    fills = [
        {value for _, attrs in f for key, value in attrs if key in ("fill", "stroke")}
        for f in figures
    ]
    assert fills[0] != fills[1] != fills[2] != fills[0], fills  # differently coloured figures
    # Each is the same poster every time it is drawn.
    for movie, root in zip(SCI_FI_CLASSICS, posters, strict=True):
        assert ET.tostring(parse(poster_svg(*movie))) == ET.tostring(root)


def test_the_genre_stays_recognisable_through_the_variations():
    sci_fi = GENRE_PALETTES["Sci-Fi"]
    for movie in SCI_FI_CLASSICS:
        top, middle, bottom = stops(parse(poster_svg(*movie)))
        # The lower part, where the title is, is the genre's own colours; the top turns round
        # the hue circle by at most HUE_RANGE_DEGREES (and is never another genre's colour).
        assert (middle, bottom) == (sci_fi.top, sci_fi.bottom)
        turn = abs(hue_degrees(top) - hue_degrees(sci_fi.top))
        assert min(turn, 360 - turn) <= HUE_RANGE_DEGREES + 2, (movie, top)
        assert top not in {p.top for p in GENRE_PALETTES.values()}


@pytest.mark.parametrize("genre", [*GENRE_PALETTES, None])
def test_every_text_keeps_wcag_aa_contrast_on_every_variation(genre):
    for title in MANY_TITLES:
        for year in (None, 1977, 2026):
            root = parse(poster_svg(title, year, [genre] if genre else []))
            colours = stops(root)
            panel = next(
                node for node in root.findall(f"{SVG}rect") if node.get("fill-opacity") == "0.55"
            )
            panel_top = float(panel.get("y"))
            # The figure cannot reach under the text: it is clipped above the title's panel.
            clip = root.find(f"{SVG}defs/{SVG}clipPath/{SVG}rect")
            assert float(clip.get("height")) <= panel_top
            # Behind the text: the panel over any colour the gradient takes (every colour of a
            # gradient blends its stops, so it is never lighter than the lightest stop).
            behind = [composite(panel.get("fill"), 0.55, colour) for colour in colours]
            for text in root.iter(f"{SVG}text"):
                assert text.get("fill-opacity") is None and text.get("opacity") is None
                first_line = text.find(f"{SVG}tspan")
                y = float((first_line if first_line is not None else text).get("y"))
                assert y - float(text.get("font-size")) >= panel_top, (title, year, genre)
                worst = min(wcag_ratio(text.get("fill"), back) for back in behind + colours)
                assert worst >= 4.5, (title, year, genre, text.get("fill"), colours)


@pytest.mark.django_db
class TestServedPoster:
    @pytest.fixture
    def alien(self):
        genres = make_genres()
        movie = Movie.objects.create(title="Alien", year=1979)
        movie.genres.set([genres["Horror"], genres["Sci-Fi"]])
        return movie

    def test_served_as_a_cacheable_svg(self, client, alien):
        url = reverse("catalog:generated-poster", args=[alien.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert response.content == poster_svg("Alien", 1979, ["Horror", "Sci-Fi"])
        assert (
            "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
        )
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and again.content == b""

    def test_new_facts_give_a_new_etag(self, client, alien):
        url = reverse("catalog:generated-poster", args=[alien.pk])
        before = client.get(url)["ETag"]
        Movie.objects.filter(pk=alien.pk).update(title="Aliens")
        assert client.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200

    def test_unknown_movie_is_404(self, client):
        assert client.get(reverse("catalog:generated-poster", args=[999999])).status_code == 404

    def test_card_and_movie_page_use_the_generated_poster_without_an_upload(self, client, alien):
        generated = reverse("catalog:generated-poster", args=[alien.pk])
        assert f'src="{generated}"' in client.get(alien.get_absolute_url()).content.decode()
        browse = client.get(reverse("catalog:browse")).content.decode()
        assert f'<img class="poster" src="{generated}" alt="Poster of Alien"' in browse

    def test_an_uploaded_poster_wins(self, client, alien, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"
        poster = clean_poster(SimpleUploadedFile("p.png", image_bytes("PNG", (400, 600))))
        alien.poster.save(poster.content.name, poster.content)
        generated = reverse("catalog:generated-poster", args=[alien.pk])
        for url in (alien.get_absolute_url(), reverse("catalog:browse")):
            html = client.get(url).content.decode()
            assert alien.poster.url in html and generated not in html
