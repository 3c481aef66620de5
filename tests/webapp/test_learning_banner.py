"""While the first model trains, the home page says so, with the run's progress."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue
from tests.webapp.live_http import gunicorn, request
from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.serving import model_server

BANNER = 'class="message message-info learning-banner"'


@pytest.fixture(autouse=True)
def fresh_state():
    cache.clear()
    model_server.reset()
    yield
    cache.clear()
    model_server.reset()


def running_run(**fields) -> TrainingRun:
    values = {"state": TrainingRun.State.RUNNING, "stage": "epoch", "progress": 0.42,
              "epoch": 3, "total_epochs": 20} | fields  # fmt: skip
    return TrainingRun.objects.create(**values)


@pytest.mark.django_db
def test_no_banner_when_nothing_is_training(client):
    make_catalogue()
    assert BANNER not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("learning-progress")).json() == {"learning": False}


@pytest.mark.django_db
def test_a_running_first_training_shows_its_progress(client):
    make_catalogue()
    running_run()
    html = client.get(reverse("home")).content.decode()
    assert BANNER in html
    assert 'value="42"' in html
    assert "learning from members&#x27; ratings: 42% done (round 3 of 20)" in html
    assert "your picks switch to it by themselves" in html
    progress = client.get(reverse("learning-progress"))
    assert progress["Cache-Control"] == "no-store"
    assert progress.json()["learning"] is True and progress.json()["percent"] == 42


@pytest.mark.django_db
def test_a_queued_run_says_learning_is_about_to_start_and_stages_read_as_words(client):
    make_catalogue()
    run = TrainingRun.objects.create(state=TrainingRun.State.QUEUED)
    assert "about to start learning" in client.get(reverse("home")).content.decode()
    TrainingRun.objects.filter(pk=run.pk).update(
        state=TrainingRun.State.RUNNING, stage="evaluate", progress=0.92, total_epochs=20
    )
    cache.clear()
    assert (
        "92% done (checking how well it ranks)"
        in client.get(reverse("learning-progress")).json()["text"]
    )


@pytest.mark.django_db
def test_retraining_while_a_model_is_active_is_not_the_visitors_concern(client):
    make_catalogue()
    ModelVersion.objects.create(name="v1", artifact_path="/nowhere/v1", is_active=True)
    running_run()
    assert BANNER not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_status_is_read_at_most_every_few_seconds(client, django_assert_max_num_queries):
    make_catalogue()
    running_run()
    client.get(reverse("learning-progress"))
    with django_assert_max_num_queries(0):
        client.get(reverse("learning-progress"))


@pytest.mark.django_db(transaction=True)
def test_over_http_the_banner_follows_the_run_until_the_model_is_ready(tmp_path):
    make_catalogue()
    run = running_run()
    with gunicorn(tmp_path, {"WEB_CONCURRENCY": "1"}) as server:
        status, _, html = request(server.url, "GET", "/")
        assert status == 200 and BANNER in html and "42% done" in html
        assert "recommender/learning_banner" in html  # the script that moves it
        TrainingRun.objects.filter(pk=run.pk).update(progress=0.6, epoch=10)
        time.sleep(3.5)  # the per-process cache
        _, _, body = request(server.url, "GET", "/learning-progress/")
        assert json.loads(body)["percent"] == 60
        TrainingRun.objects.filter(pk=run.pk).update(state=TrainingRun.State.SUCCEEDED)
        time.sleep(3.5)
        _, _, body = request(server.url, "GET", "/learning-progress/")
        assert json.loads(body) == {"learning": False}  # the page reloads into the picks
