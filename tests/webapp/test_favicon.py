"""The site's icon: named by every page (the admin's too), and /favicon.ico leads to it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db
ICON = static("img/favicon.svg")
ICON_LINK = f'<link rel="icon" href="{ICON}" type="image/svg+xml">'


def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == ICON
    assert "max-age=86400" in response["Cache-Control"]
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.parametrize(
    "name",
    [
        "admin:login",
        "admin:index",
        "admin:recommender_trainingrun_changelist",
        "admin:recommender_trainingrun_retrain",
        "admin:auth_user_change",
    ],
)
def test_admin_pages_name_the_icon(client, name):
    boss = User.objects.create_superuser("boss", "b@example.com", "a-long-password")
    client.force_login(boss)
    if name == "admin:login":
        client.logout()
    # The user's own id: PostgreSQL does not restart id sequences between tests.
    url = reverse(name, args=[boss.pk]) if name == "admin:auth_user_change" else reverse(name)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(ICON_LINK) == 1, html[:2000]
    assert "SpikeLens administration" in html


def test_site_pages_name_the_icon(client):
    assert ICON_LINK in client.get(reverse("home")).content.decode()
