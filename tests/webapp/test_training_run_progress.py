"""The training-run list and the progress JSON it polls: status, duration and nDCG included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from webapp.recommender.admin.display import compact_datetime
from webapp.recommender.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db
PROGRESS = reverse("admin:recommender_trainingrun_progress")
CHANGELIST = reverse("admin:recommender_trainingrun_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "a-long-password"))
    return client


def poll(client, *runs) -> dict[int, dict]:
    response = client.get(PROGRESS, {"id": [run.pk for run in runs]})
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["runs"]}


def test_the_poll_carries_a_running_runs_current_status(staff_client):
    run = TrainingRun.objects.create(state=TrainingRun.State.QUEUED)
    queued = poll(staff_client, run)[run.pk]
    assert (queued["state"], queued["status"], queued["duration"]) == ("queued", "Queued", "—")
    assert queued["headline"] == f"Training run #{run.pk} is queued"

    now = timezone.now()
    TrainingRun.objects.filter(pk=run.pk).update(
        state=TrainingRun.State.RUNNING, stage="train", epoch=2, total_epochs=20,
        metric_name="ndcg@10", metric_value=0.44123, started_at=now - dt.timedelta(seconds=65),
        heartbeat_at=now,
    )  # fmt: skip
    running = poll(staff_client, run)[run.pk]
    assert (running["state"], running["status"]) == ("running", "Running")
    assert running["headline"] == f"Training run #{run.pk} is running"
    assert running["text"].startswith("train (epoch 2/20)")
    assert running["duration"] in {f"1 min {s} s" for s in range(5, 15)}
    assert running["ndcg"] == "0.4412"


def test_a_finished_runs_poll_reads_as_its_row(staff_client):
    version = ModelVersion.objects.create(
        name="v0001", artifact_path="/nowhere/v0001", metrics={"ndcg@10": 0.4712345}
    )
    now = timezone.now()
    run = TrainingRun.objects.create(
        state=TrainingRun.State.SUCCEEDED, progress=1.0, model_version=version,
        started_at=now - dt.timedelta(minutes=24, seconds=34), finished_at=now,
    )  # fmt: skip
    row = poll(staff_client, run)[run.pk]
    assert (row["status"], row["duration"], row["ndcg"]) == ("Succeeded", "24 min 34 s", "0.4712")
    html = staff_client.get(CHANGELIST).content.decode()
    assert '<td class="field-state">Succeeded</td>' in html
    assert '<td class="field-duration">24 min 34 s</td>' in html
    assert '<td class="field-ndcg">0.4712</td>' in html


def test_the_list_has_a_short_column_set_with_compact_dates(staff_client):
    run = TrainingRun.objects.create(state=TrainingRun.State.QUEUED)
    html = staff_client.get(CHANGELIST).content.decode()
    assert f'<td class="field-created">{compact_datetime(run.created_at)}</td>' in html
    assert "column-stage_text" not in html  # the stage is in the banner above the list
    assert f'<p class="training-banner" data-run="{run.pk}">' in html


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2026, 12, 6, 10, 2, tzinfo=dt.UTC), "6 Dec 10:02"),
        (dt.datetime(2025, 3, 14, 23, 59, tzinfo=dt.UTC), "14 Mar 2025"),
        (None, "—"),
    ],
)
def test_compact_dates(moment, text):
    assert compact_datetime(moment, now=dt.datetime(2026, 12, 31, tzinfo=dt.UTC)) == text
