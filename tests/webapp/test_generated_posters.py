"""Every movie without an uploaded poster gets one drawn from its title, year and genres."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.webapp.catalog_data import image_bytes, make_genres
from webapp.catalog.generated_posters import (
    GENRE_PALETTES,
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
