"""Uploading a movie: the happy path, duplicates, and every kind of bad poster or text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.webapp.catalog_data import PASSWORD, image_bytes, make_genres, make_member
from webapp.catalog.models import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, Movie
from webapp.catalog.posters import MAX_POSTER_BYTES

pytestmark = pytest.mark.django_db
UPLOAD = reverse("catalog:upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def genres():
    return make_genres()


@pytest.fixture
def member(client):
    user = make_member("uploader")
    client.force_login(user)
    return user


def poster(data: bytes, name="poster.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def form(known_genres, **overrides) -> dict:
    data = {
        "title": "The Spiking Dead",
        "year": "2024",
        "genres": [known_genres["Horror"].pk, known_genres["Comedy"].pk],
        "description": "Neurons fire. Nobody survives.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def snapshot():
    return sorted(Movie.objects.values_list("pk", "title", "year", "description", "poster"))


def test_upload_page_needs_log_in(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_upload_form_has_a_label_for_every_field(client, member, genres):
    html = client.get(UPLOAD).content.decode()
    for field in ("id_title", "id_year", "id_description", "id_poster"):
        assert f'for="{field}"' in html
    assert "<legend>Genres</legend>" in html and "Horror" in html


def test_upload_with_poster_creates_the_movie_and_a_clean_resized_jpeg(
    client, member, genres, media
):
    big = image_bytes("PNG", size=(1200, 1800), color=(10, 120, 200))
    response = client.post(UPLOAD, form(genres, poster=poster(big)))
    movie = Movie.objects.get(title="The Spiking Dead")
    assert response.status_code == 302 and response.url == movie.get_absolute_url()
    assert (movie.year, movie.source, movie.created_by) == (2024, "upload", member)
    assert sorted(movie.genre_names) == ["Comedy", "Horror"]
    path = Path(movie.poster.path)
    assert path.is_relative_to(media) and path.suffix == ".jpg"
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (600, 900)
    page = client.get(movie.get_absolute_url()).content.decode()
    # No model is serving in this test, so the page does not promise what it cannot keep.
    assert "can be recommended right away" not in page
    assert "will be recommended as soon as a trained model is serving" in page
    assert movie.poster.url in page and 'alt="Poster of The Spiking Dead"' in page
    assert client.get(movie.poster.url).status_code == 200


def test_upload_without_poster_shows_a_generated_poster(client, member, genres, media):
    client.post(UPLOAD, form(genres))
    movie = Movie.objects.get(title="The Spiking Dead")
    assert not movie.poster
    page = client.get(movie.get_absolute_url()).content.decode()
    assert reverse("catalog:generated-poster", args=[movie.pk]) in page
    assert stored_files(media) == []


def test_new_movie_is_listed_at_once(client, member, genres):
    client.post(UPLOAD, form(genres))
    assert "The Spiking Dead" in client.get(reverse("home")).content.decode()
    browse = client.get(reverse("catalog:browse"), {"q": "spiking", "sort": "added"})
    assert "The Spiking Dead" in browse.content.decode()


@pytest.mark.parametrize("title", ["The Spiking Dead", "the spiking dead", "  THE  Spiking Dead "])
def test_duplicate_title_and_year_is_refused_with_a_link(client, member, genres, title):
    client.post(UPLOAD, form(genres))
    existing = Movie.objects.get()
    before = snapshot()
    response = client.post(UPLOAD, form(genres, title=title, description="Another copy"))
    assert response.status_code in (400, 409)
    html = response.content.decode()
    assert "already in the catalogue" in html
    assert f'href="{existing.get_absolute_url()}"' in html
    assert snapshot() == before


def test_same_title_in_another_year_is_a_different_movie(client, member, genres):
    client.post(UPLOAD, form(genres))
    client.post(UPLOAD, form(genres, year="1999"))
    assert Movie.objects.filter(title="The Spiking Dead").count() == 2


# --------------------------------------------------------------------------- bad posters
def bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, format="PNG")
    return buffer.getvalue()


BAD_POSTERS = {
    "text named .png": (
        lambda: b"hello, not an image" * 50,
        "fake.png",
        "image/png",
        "not a JPEG, PNG or WebP image",
    ),
    "truncated jpeg": (
        lambda: image_bytes("JPEG", size=(400, 600), quality=95)[:3000],
        "cut.jpg",
        "image/jpeg",
        "not a JPEG, PNG or WebP image",
    ),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "poster.svg",
        "image/svg+xml",
        "not a JPEG, PNG or WebP image",
    ),
    "gif": (lambda: image_bytes("GIF"), "p.gif", "image/gif", "this file is GIF"),
    "50-megapixel png bomb": (bomb_png, "bomb.png", "image/png", "too many pixels"),
    "just over 5 MB": (
        lambda: image_bytes("PNG") + b"\0" * (MAX_POSTER_BYTES + 1 - len(image_bytes("PNG"))),
        "big.png",
        "image/png",
        "the limit is 5 MB",
    ),
}


@pytest.mark.parametrize("case", list(BAD_POSTERS))
def test_bad_posters_are_refused_with_a_clear_message(client, member, genres, media, case):
    make, name, content_type, message = BAD_POSTERS[case]
    client.post(UPLOAD, form(genres, title="Already Here", year="2001"))
    before = snapshot()
    response = client.post(UPLOAD, form(genres, poster=poster(make(), name, content_type)))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before
    assert stored_files(media) == []


def test_request_far_over_the_limit_is_refused_before_reading_it(client, member, genres, media):
    huge = image_bytes("PNG") + b"\0" * (3 * MAX_POSTER_BYTES)
    before = snapshot()
    response = client.post(UPLOAD, form(genres, poster=poster(huge)))
    assert response.status_code == 413
    assert "posters may be at most 5 MB" in response.content.decode()
    assert snapshot() == before and stored_files(media) == []


# ----------------------------------------------------------------------------- bad text
@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"title": "x" * (MAX_TITLE_LENGTH + 1)},
            f"Titles are limited to {MAX_TITLE_LENGTH} characters",
        ),
        ({"title": "   "}, "This field is required."),
        ({"title": None}, "This field is required."),
        ({"description": "d" * (MAX_DESCRIPTION_LENGTH + 1)}, "Descriptions are limited to"),
        ({"title": "<script>alert(1)</script>"}, "Please use plain text"),
        ({"description": "Nice <iframe src=//evil></iframe>"}, "Please use plain text"),
        ({"year": "soon"}, "Enter a whole number."),
        ({"year": "1066"}, "greater than or equal to 1870"),
        ({"year": "3000"}, "or earlier"),
        ({"genres": ["999999"]}, "Select a valid choice."),
    ],
)
def test_bad_text_fields_are_refused(client, member, genres, overrides, message):
    before = snapshot()
    response = client.post(UPLOAD, form(genres, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_anonymous_upload_post_stores_nothing(client, genres, media):
    response = client.post(UPLOAD, form(genres, poster=poster(image_bytes("PNG"))))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Movie.objects.exists() and stored_files(media) == []


def test_upload_without_csrf_token_is_refused(genres, media):
    strict = Client(enforce_csrf_checks=True)
    make_member("strict")
    strict.login(username="strict", password=PASSWORD)
    response = strict.post(UPLOAD, form(genres, poster=poster(image_bytes("PNG"))))
    assert response.status_code == 403
    assert not Movie.objects.exists() and stored_files(media) == []
