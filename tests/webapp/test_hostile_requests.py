"""Hostile requests that once gave a 500: each is now a 4xx with a clear answer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from webapp.recommender.models import TrainingRun

pytestmark = pytest.mark.django_db
PROGRESS = reverse("admin:recommender_trainingrun_progress")


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-long-enough"))
    return client


@pytest.mark.parametrize("bad_id", ["²", "١", "1.5", "-3", "", "9" * 40, "1e3"])
def test_progress_endpoint_refuses_ids_that_are_not_ascii_digits(staff_client, bad_id):
    response = staff_client.get(PROGRESS, {"id": ["1", bad_id]})
    assert response.status_code == 400
    assert "whole numbers" in response.json()["error"]


def test_progress_endpoint_reads_the_superscript_two_from_the_raw_query(staff_client):
    response = staff_client.get(f"{PROGRESS}?id=%C2%B2")
    assert response.status_code == 400


def test_progress_endpoint_still_answers_for_real_ids(staff_client):
    run = TrainingRun.objects.create(options={})
    response = staff_client.get(PROGRESS, {"id": [str(run.pk), "0"]})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["runs"]] == [run.pk]
    assert staff_client.get(PROGRESS).json() == {"runs": []}


def test_progress_endpoint_refuses_too_many_ids(staff_client):
    response = staff_client.get(PROGRESS, {"id": [str(i) for i in range(1, 60)]})
    assert response.status_code == 400 and "at most 50" in response.json()["error"]


def test_too_many_query_parameters_give_the_400_page_not_a_500(client, settings):
    query = "&".join(["f"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 100))
    response = client.get(f"/movies/?{query}")
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/movies/upload/", "/accounts/login/", "/nowhere/"])
def test_pages_that_ignore_the_query_string_ignore_a_huge_one(client, settings, path):
    query = "&".join(["f"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 100))
    assert client.get(f"{path}?{query}").status_code in (200, 302, 400, 404)


def test_the_header_search_box_still_repeats_the_browse_query(client):
    html = client.get("/movies/", {"q": "spiking <dead>"}).content.decode()
    assert 'value="spiking &lt;dead&gt;"' in html
