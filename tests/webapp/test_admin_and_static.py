"""The admin covers the site's data; static files are local and served by WhiteNoise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.recommender.models import ModelVersion

pytestmark = pytest.mark.django_db
WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


@pytest.fixture
def staff_client(client):
    admin = User.objects.create_superuser("boss", "boss@example.org", "a-long-admin-password")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "catalog_movie",
        "catalog_rating",
        "catalog_genre",
        "auth_user",
        "accounts_profile",
        "recommender_modelversion",
    ],
)
def test_staff_can_list_and_open_every_kind_of_record(staff_client, model):
    make_catalogue(n_movies=3, n_raters=2, per_rater=2)
    make_member("ada")
    ModelVersion.objects.create(name="v1", artifact_path="/tmp/spikelens-v1")
    listing = staff_client.get(reverse(f"admin:{model}_changelist"))
    assert listing.status_code == 200
    first = listing.context["cl"].result_list[0]
    assert staff_client.get(reverse(f"admin:{model}_change", args=[first.pk])).status_code == 200


def test_people_who_are_not_staff_cannot_open_the_admin(client):
    client.force_login(make_member("ada"))
    response = client.get(reverse("admin:catalog_movie_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)


def test_templates_and_static_files_reference_nothing_outside_the_site():
    offenders = []
    for path in [*WEBAPP.rglob("templates/**/*.html"), *WEBAPP.rglob("static/**/*.*")]:
        text = path.read_text(errors="ignore")
        if EXTERNAL.search(text):
            offenders.append(str(path))
    assert offenders == []


def test_rendered_pages_load_only_local_assets(client):
    make_catalogue(n_movies=3, n_raters=2, per_rater=2)
    html = client.get(reverse("home")).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith(("/", "?", "#")) for a in assets), assets


def test_static_files_are_served_by_whitenoise_with_hashed_names(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = [WEBAPP / "static"]
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django.contrib.admin"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()  # a new client builds its middleware (WhiteNoise) from these settings
    html = client.get(reverse("catalog:browse")).content.decode()
    css = re.search(r'href="(/static/css/spikelens\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert b"--accent" in b"".join(response.streaming_content)
    gz = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("Content-Encoding") == "gzip"
