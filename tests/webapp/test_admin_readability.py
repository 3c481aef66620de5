"""The recommender admin reads well: its name, stage text, rounded numbers, readable JSON."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from webapp.recommender.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "a-long-password"))
    return client


def test_the_admin_says_spikelens(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "SpikeLens administration" in html and "Django administration" not in html


def test_a_queued_run_says_what_it_waits_for_never_an_empty_stage(staff_client):
    TrainingRun.objects.create(state=TrainingRun.State.QUEUED)
    html = staff_client.get(reverse("admin:recommender_trainingrun_changelist")).content.decode()
    assert "queued: ." not in html and ": </span>" not in html
    assert "is queued: <span" in html and "waiting for a worker to start it</span>." in html


def test_a_running_run_shows_rounded_numbers_in_the_list_and_the_poll(staff_client):
    run = TrainingRun.objects.create(
        state=TrainingRun.State.RUNNING, stage="train", epoch=3, total_epochs=20,
        loss=73.39763259887695, metric_name="ndcg@10", metric_value=0.450812345, progress=0.234,
    )  # fmt: skip
    expected = "train (epoch 3/20), loss 73.3976, ndcg@10 0.4508"
    html = staff_client.get(reverse("admin:recommender_trainingrun_changelist")).content.decode()
    assert expected in html and "73.397632" not in html
    poll = staff_client.get(reverse("admin:recommender_trainingrun_progress"), {"id": run.pk})
    assert poll.json()["runs"][0]["text"] == expected


def test_a_runs_page_shows_rounded_numbers_and_readable_options(staff_client):
    run = TrainingRun.objects.create(
        state=TrainingRun.State.SUCCEEDED, loss=0.123456789, metric_name="ndcg@10",
        metric_value=0.47123456, options={"mode": "local", "epochs": None, "promotion": "gate"},
    )  # fmt: skip
    url = reverse("admin:recommender_trainingrun_change", args=[run.pk])
    html = staff_client.get(url).content.decode()
    assert "0.1235" in html and "0.123456789" not in html
    assert "ndcg@10 0.4712" in html
    assert '<pre class="readable-json">{\n  &quot;epochs&quot;: null,\n  &quot;mode&quot;' in html


def test_a_versions_page_shows_its_metrics_as_readable_rounded_json(staff_client, tmp_path):
    # The configuration is the artifact's (config.json's "train"); only that file is needed.
    (tmp_path / "config.json").write_text(
        json.dumps({"train": {"model": "snn-local", "epochs": 20}})
    )
    version = ModelVersion.objects.create(
        name="v0001", artifact_path=str(tmp_path),
        metrics={"ndcg@10": 0.4712345678, "map@10": 0.1456789, "train_seconds": 98.7654321},
    )  # fmt: skip
    html = staff_client.get(
        reverse("admin:recommender_modelversion_change", args=[version.pk])
    ).content.decode()
    assert "&quot;ndcg@10&quot;: 0.4712" in html and "0.4712345678" not in html
    assert "&quot;train_seconds&quot;: 98.7654\n}" in html
    assert '<pre class="readable-json">{\n  &quot;epochs&quot;: 20,' in html


def test_the_lists_lead_with_their_key_columns(staff_client):
    from webapp.recommender.admin.model_versions import ModelVersionAdmin
    from webapp.recommender.admin.training_runs import TrainingRunAdmin

    assert ModelVersionAdmin.list_display[:4] == ["name", "is_active", "metric_ndcg", "promoted_at"]
    assert TrainingRunAdmin.list_display[:5] == ["id", "state", "progress_bar", "ndcg", "promoted"]
