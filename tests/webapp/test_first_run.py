"""The first run: the site serves at once and the first model trains in the background."""

from __future__ import annotations

import importlib
import re
import signal
import time
from io import StringIO

import pytest
from celery.signals import worker_shutting_down
from django.core.management import call_command
from kombu.exceptions import OperationalError

from tests.factories.site_data import populate_site
from tests.webapp.worker import WorkerProcess
from webapp.celery import app
from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.runs import dispatch, execution, lifecycle
from webapp.recommender.runs.dispatch import EXECUTE_RUN_TASK


def prepare_site() -> str:
    out = StringIO()
    call_command("prepare_site", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_prepare_site_queues_the_first_training_once_and_sends_it_after_commit(sent):
    populate_site()
    output = prepare_site()
    run = TrainingRun.objects.get()
    assert run.state == TrainingRun.State.QUEUED and run.trigger == TrainingRun.Trigger.COMMAND
    assert [(name, args) for name, args, _ in sent] == [(EXECUTE_RUN_TASK, [run.pk])]
    assert run.celery_task_id == "task-1"
    assert f"Queued training run #{run.pk}" in output and "popular movies" in output
    assert "skipping the MovieLens import" in output

    again = prepare_site()  # a restart while the run waits for the worker
    assert TrainingRun.objects.count() == 1 and len(sent) == 1
    assert f"Training run #{run.pk} is already queued" in again


@pytest.mark.django_db(transaction=True)
def test_prepare_site_leaves_an_active_model_alone(sent):
    populate_site()
    ModelVersion.objects.create(name="v0001", artifact_path="/nowhere/v0001", is_active=True)
    assert "Model version v0001 serves the picks." in prepare_site()
    assert not TrainingRun.objects.exists() and sent == []


@pytest.mark.django_db(transaction=True)
def test_prepare_site_whose_message_is_lost_still_lets_the_site_start(monkeypatch):
    populate_site()

    def broker_gone(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(app, "send_task", broker_gone)
    output = prepare_site()  # no exception: bin/run goes on to serve popular movies
    run = TrainingRun.objects.get()
    assert run.state == TrainingRun.State.FAILED  # the lock is free for the next start
    assert "was not started" in output and "serves popular movies" in output


@pytest.fixture
def stop_flag():
    execution.stop_requested.clear()
    yield execution.stop_requested
    execution.stop_requested.clear()


def test_a_shutting_down_worker_asks_its_run_to_stop(stop_flag):
    importlib.import_module("webapp.recommender.tasks")  # as the worker's autodiscovery does
    worker_shutting_down.send(sender="celery@test", sig="SIGTERM", how="Warm", exitcode=0)
    assert stop_flag.is_set()


@pytest.mark.django_db
def test_a_stopped_run_is_failed_with_a_reason_and_leaves_nothing_behind(
    stop_flag, settings, tmp_path
):
    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    populate_site()
    run = lifecycle.open_run(lifecycle.TrainingOptions())
    stop_flag.set()
    finished = execution.execute_training_run(run.pk)  # returns: a requested stop is no error
    assert finished.state == TrainingRun.State.FAILED
    assert finished.message == execution.STOPPED_MESSAGE
    assert lifecycle.current_run() is None  # the next start may train again
    assert not lifecycle.staging_dir(run.pk).exists() and not ModelVersion.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_a_training_worker_within_seconds(settings, tmp_path):
    populate_site()
    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={
            "SPIKELENS_TRAINING_PRESET": "small",
            "SPIKELENS_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        },
    )
    settings.SPIKELENS_TRAINING_QUEUE = worker.queue
    try:
        worker.wait_ready()
        run = dispatch.request_training(lifecycle.TrainingOptions(epochs=400))
        deadline = time.monotonic() + 120
        while not TrainingRun.objects.filter(pk=run.pk, epoch__gte=1).exists():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.2)
        asked = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(timeout=30)
        stopped_after = time.monotonic() - asked
    finally:
        worker.stop()
    log = (tmp_path / "worker.log").read_text()
    run.refresh_from_db()
    assert run.state == TrainingRun.State.FAILED, log
    assert run.message == execution.STOPPED_MESSAGE and stopped_after < 20
    # One line per epoch, no bar: the run's own line, or its members' when they train in
    # parallel (PostgreSQL + Redis).
    assert re.search(rf"Training run {run.pk}(, member \d+)?: epoch 1/400, loss", log), log
