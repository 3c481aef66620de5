"""The recommender admin at 1280 px: the key columns of both lists are on screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from webapp.recommender.models import ModelVersion, TrainingRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Admin-of-spikes-42"
WIDTH = 1280


@pytest.fixture
def registry_with_history():
    """Versions and runs as a site has them after a few retrainings (long names included)."""
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    now = timezone.now()
    for i in range(1, 4):
        version = ModelVersion.objects.create(
            name=f"v{i:04d}-20261201-0{i}3000",
            artifact_path=f"/srv/spikelens/artifacts/v{i:04d}-20261201-0{i}3000",
            model_kind="snn-local",
            metrics={
                "ndcg@10": 0.47 + i / 1000,
                "map@10": 0.14,
                "precision@10": 0.41,
                "recall@10": 0.22,
            },  # fmt: skip
            size_bytes=3_400_000,
            is_active=i == 3,
            promoted_at=now if i == 3 else None,
        )
        TrainingRun.objects.create(
            state=TrainingRun.State.SUCCEEDED, stage="done", progress=1.0, epoch=20,
            total_epochs=20, started_at=now - dt.timedelta(minutes=3), finished_at=now,
            model_version=version, promoted=i == 3, message="Trained.",
        )  # fmt: skip
    TrainingRun.objects.create(
        state=TrainingRun.State.RUNNING, stage="train", progress=0.43, epoch=9, total_epochs=20,
        loss=61.23456, metric_name="ndcg@10", metric_value=0.4412345, started_at=now,
        heartbeat_at=now,
    )  # fmt: skip


def log_in(page: Page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_have_text("SpikeLens administration")


def assert_on_screen(page: Page, column: str) -> None:
    header = page.locator(f"#result_list th.column-{column}")
    expect(header).to_be_visible()
    box = header.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (column, box)


def test_key_columns_show_at_1280_px(page: Page, registry_with_history):
    assert page.viewport_size["width"] == WIDTH
    log_in(page)
    page.goto("/admin/recommender/modelversion/")
    for column in ("name", "is_active", "metric_ndcg", "promoted_at"):
        assert_on_screen(page, column)
    page.goto("/admin/recommender/trainingrun/")
    for column in ("state", "progress_bar", "ndcg", "promoted", "model_version"):
        assert_on_screen(page, column)
    banner = page.locator(".training-banner")
    expect(banner).to_contain_text("train (epoch 9/20), loss 61.2346, ndcg@10 0.4412")
    expect(page.locator("body")).not_to_contain_text("queued: .")
