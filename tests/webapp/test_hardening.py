"""What users of Django expect of a site on the internet: throttled logins, a strict CSP, secure
cookies over TLS, working password-reset mail, staff uploads checked like anyone's, invisible
titles refused, and one log line per refused request."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.webapp.catalog_data import PASSWORD, make_genres, make_member
from webapp.catalog.models import Movie
from webapp.envconfig import CONSOLE_BACKEND, SMTP_BACKEND, email_settings

pytestmark = pytest.mark.django_db
PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [PROJECT_ROOT / "webapp" / "templates", *PROJECT_ROOT.glob("webapp/*/templates")]
LOGIN = reverse("login")


# ----------------------------------------------------------------------------- login throttling
def test_ten_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one():
    make_member("target")
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post(LOGIN, {"username": "target", "password": f"guess-{i}"}).status_code
        for i in range(10)
    ]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[-1] == 429
    response = client.post(LOGIN, {"username": "target", "password": PASSWORD})
    assert response.status_code == 429 and "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The lock is for that username from that address; the owner elsewhere still logs in.
    elsewhere = Client(REMOTE_ADDR="198.51.100.2")
    assert elsewhere.post(LOGIN, {"username": "target", "password": PASSWORD}).status_code == 302


def test_a_few_typos_then_the_right_password_log_in():
    make_member("typist")
    client = Client(REMOTE_ADDR="203.0.113.8")
    for i in range(3):
        client.post(LOGIN, {"username": "typist", "password": f"typo-{i}"})
    assert client.post(LOGIN, {"username": "typist", "password": PASSWORD}).status_code == 302


# ----------------------------------------------------------------------------- CSP and cookies
def test_every_page_carries_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_templates_have_no_inline_script_or_style_the_policy_would_block():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text()
            if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
                r"\sstyle=|<style|\son[a-z]+=", text
            ):
                offenders.append(str(template.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_csrf_cookie_is_http_only(client):
    response = client.get(LOGIN)
    assert response.cookies["csrftoken"]["httponly"] is True


def settings_under(env: dict[str, str]) -> dict:
    """Import the production settings in a fresh interpreter with ``env`` set; a few values."""
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in "
        "['SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_HSTS_SECONDS',"
        "'SECURE_PROXY_SSL_HEADER','CSRF_COOKIE_HTTPONLY','EMAIL_BACKEND','EMAIL_HOST']}))"
    )
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "SPIKELENS_DATA_DIR": str(settings.DATA_DIR),
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_secure_cookies_switch_on_hsts_and_the_proxy_header_is_opt_in():
    plain = settings_under({})
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SECURE_PROXY_SSL_HEADER"] is None and plain["CSRF_COOKIE_HTTPONLY"] is True
    tls = settings_under(
        {"DJANGO_SECURE_COOKIES": "1", "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"}
    )
    assert tls["SESSION_COOKIE_SECURE"] is True and tls["CSRF_COOKIE_SECURE"] is True
    assert tls["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert tls["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_hsts_header_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert (
        client.get("/", secure=True)
        .headers["Strict-Transport-Security"]
        .startswith("max-age=31536000")
    )


# ----------------------------------------------------------------------------- e-mail
def test_mail_goes_to_the_console_unless_the_environment_names_a_server():
    assert settings_under({})["EMAIL_BACKEND"] == CONSOLE_BACKEND
    assert email_settings({})["EMAIL_BACKEND"] == CONSOLE_BACKEND
    smtp = email_settings({"EMAIL_URL": "smtp+tls://mailer:p%40ss@mail.example.com:2525"})
    assert smtp["EMAIL_BACKEND"] == SMTP_BACKEND and smtp["EMAIL_HOST"] == "mail.example.com"
    assert smtp["EMAIL_PORT"] == 2525 and smtp["EMAIL_USE_TLS"] is True
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")
    assert email_settings({"EMAIL_URL": "smtps://mail.example.com"})["EMAIL_PORT"] == 465
    split = email_settings({"EMAIL_HOST": "relay", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1"})
    assert (split["EMAIL_HOST"], split["EMAIL_PORT"], split["EMAIL_USE_TLS"]) == (
        "relay",
        587,
        True,
    )
    with pytest.raises(ValueError, match="scheme"):
        email_settings({"EMAIL_URL": "carrier-pigeon://loft"})


def test_password_reset_sends_a_working_link(client):
    user = make_member("forgetful")
    user.email = "forgetful@example.com"
    user.save()
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["forgetful@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-42")


# ----------------------------------------------------------------------------- staff uploads
def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 1200), (30, 60, 90))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("curator", "c@example.com", "pw-long-enough"))
    return client


def admin_movie_form(genres, **overrides) -> dict:
    data = {
        "title": "Staff Pick",
        "year": "1999",
        "genres": [genres["Drama"].pk],
        "description": "",
        "source": "upload",
    }
    data.update(overrides)
    return data


def test_admin_poster_goes_through_the_same_cleaning_as_the_site(staff_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    genres = make_genres()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("my-house-gps.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = staff_client.post(
        reverse("admin:catalog_movie_add"), admin_movie_form(genres, poster=upload)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    movie = Movie.objects.get(title="Staff Pick")
    name = Path(movie.poster.name).name
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name) and "gps" not in movie.poster.name
    stored = Image.open(movie.poster.path)
    assert stored.getexif() == {} and stored.size == (600, 900)


def test_admin_refuses_a_fake_or_oversized_poster_and_keeps_the_old_one(
    staff_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    genres = make_genres()
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    response = staff_client.post(
        reverse("admin:catalog_movie_add"), admin_movie_form(genres, poster=fake)
    )
    assert response.status_code == 200
    assert "not a JPEG, PNG or WebP image we can read" in response.content.decode()
    assert not Movie.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


# ----------------------------------------------------------------------------- invisible titles
@pytest.mark.parametrize(
    "title", ["\u200b\u200b\u200b", "\u200d \ufeff", "\u2060\u00a0\u3000", "\u3164\u2800", "\u0301"]
)
def test_a_title_of_only_invisible_characters_is_refused(client, title):
    make_genres()
    client.force_login(make_member("ghost-writer"))
    response = client.post(reverse("catalog:upload"), {"title": title, "year": "2020"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "visible characters" in html or "give the movie a title" in html
    assert not Movie.objects.exists()


def test_titles_with_visible_text_and_a_stray_zero_width_space_are_kept(client):
    make_genres()
    client.force_login(make_member("typesetter"))
    response = client.post(reverse("catalog:upload"), {"title": "Amélie\u200b", "year": "2001"})
    assert response.status_code == 302
    assert Movie.objects.filter(title__startswith="Amélie").count() == 1


def test_staff_titles_follow_the_same_rule(staff_client):
    genres = make_genres()
    response = staff_client.post(
        reverse("admin:catalog_movie_add"), admin_movie_form(genres, title="\u200b\u200c")
    )
    assert response.status_code == 200 and not Movie.objects.exists()


# ----------------------------------------------------------------------------- sign-up
def test_sign_up_says_a_username_is_taken_which_reviews_show_publicly_anyway(client):
    """Decided and documented (docs/webapp.md): usernames are public, so saying "taken" leaks
    nothing; passwords are what login throttling protects."""
    make_member("celebrity")
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "celebrity",
            "password1": "Quite-long-pass-1",
            "password2": "Quite-long-pass-1",
        },
    )
    assert response.status_code == 400 and "already exists" in response.content.decode()


# ----------------------------------------------------------------------------- logging
@pytest.fixture
def console_log():
    """What the configured console handler writes, captured from the handler itself."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_refused_requests_are_logged_as_one_line_each(client, settings, console_log):
    query = "&".join(["f"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5))
    assert client.get(f"/movies/?{query}").status_code == 400
    client.force_login(make_member("nosy"))
    assert client.get(reverse("admin:recommender_trainingrun_retrain")).status_code == 403
    assert Client().get("/", HTTP_HOST="evil.example").status_code == 400
    lines = [line for line in console_log.getvalue().splitlines() if line.strip()]
    assert len(lines) >= 3, lines
    assert not any("Traceback" in line or line.startswith(" ") for line in lines), lines
    text = "\n".join(lines)
    assert "TooManyFields" in text and "Forbidden" in text and "evil.example" in text
