"""The training-run list in Chromium: it follows active runs without a reload, and it fits.

A run that goes from queued to running while the page is open changes its State cell, its
duration, its progress bar and the banner above the list; the list at 1280 px shows every column
and every cell whole beside the admin's navigation and filters, even with long values.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from webapp.recommender.models import ModelVersion, TrainingRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Admin-of-spikes-42"
WIDTH = 1280
LIST_URL = "/admin/recommender/trainingrun/"
# The page polls every 2 s; a busy machine may need a few polls.
REDRAWN_WITHIN_MS = 15_000


@pytest.fixture
def boss():
    return User.objects.create_superuser("boss", "boss@example.com", PASSWORD)


@pytest.fixture
def problems(page: Page) -> list[str]:
    """Console errors and failed requests (a 404 for /favicon.ico included) while the test runs."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda response: (
            found.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return found


def log_in(page: Page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_have_text("SpikeLens administration")


def test_a_run_going_from_queued_to_running_is_redrawn_without_a_reload(page: Page, boss, problems):
    run = TrainingRun.objects.create(state=TrainingRun.State.QUEUED)
    log_in(page)
    page.goto(LIST_URL)
    row = page.locator("#result_list tbody tr").filter(
        has=page.locator(f'progress[data-run="{run.pk}"]')
    )
    banner = page.locator(".training-banner")
    expect(row.locator("td.field-state")).to_have_text("Queued")
    expect(row.locator("td.field-duration")).to_have_text("—")
    expect(banner).to_contain_text(f"Training run #{run.pk} is queued: waiting for a worker")
    # A reload would drop this; the redraw must happen in the page that is open.
    page.evaluate("window.spikelensSamePage = true")

    now = timezone.now()
    TrainingRun.objects.filter(pk=run.pk).update(
        state=TrainingRun.State.RUNNING, stage="train", epoch=2, total_epochs=20, progress=0.1,
        started_at=now - dt.timedelta(seconds=65), heartbeat_at=now,
    )  # fmt: skip

    expect(row.locator("td.field-state")).to_have_text("Running", timeout=REDRAWN_WITHIN_MS)
    expect(banner).to_contain_text(f"Training run #{run.pk} is running: train (epoch 2/20)")
    expect(row.locator("td.field-duration")).to_have_text(re.compile(r"^1 min \d+ s$"))
    expect(row.locator("progress")).to_have_js_property("value", 10)
    expect(row.locator(".training-percent")).to_have_text("10%")
    assert page.evaluate("window.spikelensSamePage") is True
    assert problems == []


@pytest.fixture
def a_long_history(boss):
    """Long values in every column: three-digit ids, dashed version names, one marked active,
    durations of minutes and hours, runs from last year, a failed run, a running one."""
    now = timezone.now()
    for i in range(1, 4):
        version = ModelVersion.objects.create(
            name=f"v{i:04d}-20261201-0{i}3000",
            artifact_path=f"/srv/spikelens/artifacts/v{i:04d}-20261201-0{i}3000",
            metrics={"ndcg@10": 0.47 + i / 1000},
            is_active=i == 3,
            promoted_at=now if i == 3 else None,
        )
        TrainingRun.objects.create(
            pk=100 + i, state=TrainingRun.State.SUCCEEDED, stage="done", progress=1.0,
            started_at=now - dt.timedelta(minutes=12 * i, seconds=34), finished_at=now,
            model_version=version, promoted=i == 3,
        )  # fmt: skip
    TrainingRun.objects.create(
        pk=104, state=TrainingRun.State.FAILED, progress=0.42,
        started_at=now - dt.timedelta(hours=1, minutes=2), finished_at=now,
    )  # fmt: skip
    TrainingRun.objects.create(
        pk=105, state=TrainingRun.State.RUNNING, stage="train", progress=0.43, epoch=9,
        total_epochs=20, loss=61.23456, metric_name="ndcg@10", metric_value=0.4412345,
        started_at=now - dt.timedelta(minutes=3), heartbeat_at=now,
    )  # fmt: skip
    TrainingRun.objects.filter(pk__in=[101, 104]).update(created_at=now - dt.timedelta(days=400))


# Everything that sticks out: the page wider than the window, the list wider than its box (it
# would scroll sideways), a cell outside the list's box or the window, or text wider than its
# cell (cut off or spilling into the next column).
OVERFLOW_JS = """
() => {
  const box = document.querySelector(".results").getBoundingClientRect();
  const results = document.querySelector(".results");
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth) out.push("page scrolls sideways");
  if (results.scrollWidth > results.clientWidth) out.push("list scrolls sideways");
  for (const cell of document.querySelectorAll("#result_list th, #result_list td")) {
    const r = cell.getBoundingClientRect();
    const name = cell.className + " " + cell.innerText.trim().slice(0, 30);
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > innerWidth)
      out.push("outside: " + name);
    if (cell.scrollWidth > cell.clientWidth + 1) out.push("text wider than its cell: " + name);
  }
  return out;
}
"""


def test_every_column_of_the_list_fits_at_1280_px(page: Page, a_long_history, problems):
    assert page.viewport_size["width"] == WIDTH
    log_in(page)
    page.goto(LIST_URL)
    for column in ("id", "state", "progress_bar", "ndcg", "promoted", "model_version",
                   "duration", "created"):  # fmt: skip
        expect(page.locator(f"#result_list th.column-{column}")).to_be_visible()
    assert page.evaluate(OVERFLOW_JS) == []
    rows = {
        row.locator("th.field-id").inner_text(): row
        for row in page.locator("#result_list tbody tr").all()
    }
    assert sorted(rows) == ["101", "102", "103", "104", "105"]
    expect(rows["102"].locator("td.field-duration")).to_have_text("24 min 34 s")
    expect(rows["104"].locator("td.field-duration")).to_have_text("1 h 2 min")
    # Compact dates: day, month and time this year; day, month and year before.
    expect(rows["102"].locator("td.field-created")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d\d:\d\d$")
    )
    expect(rows["101"].locator("td.field-created")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")
    )
    expect(rows["103"].locator("td.field-model_version")).to_have_text(
        "v0003-20261201-033000 (active)"
    )
    expect(rows["105"].locator("td.field-ndcg")).to_have_text("0.4412")
    # Short values stay on one line: their text is drawn as one box, not one box per line.
    one_line = "(el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"
    for row in rows.values():
        for column in ("state", "duration", "created"):
            assert page.evaluate(one_line, row.locator(f"td.field-{column}").element_handle()) == 1
    assert problems == []
