"""The broker is down when someone presses "Retrain now": a clear message, and no stranded lock.

The outage is real: the Celery app is pointed at a port where no broker listens, so the send
fails the way it does when Redis or RabbitMQ is stopped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from webapp.celery import app
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch, lifecycle
from webapp.recommender.runs.dispatch import TrainingNotQueued
from webapp.recommender.runs.lifecycle import TrainingOptions

RETRAIN = reverse("admin:recommender_trainingrun_retrain")


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker_at(url: str):
    """Point this process's Celery app at ``url`` for the duration, then restore its connections.

    Sending uses ``broker_write_url``: setting ``broker_url`` alone is not enough, because Celery
    prefers the CELERY_BROKER_URL environment variable (set in CI's Redis run) over it.
    """
    saved = app.conf.broker_write_url, app.conf.broker_transport_options
    app.conf.broker_write_url = url
    app.conf.broker_transport_options = {}
    app._after_fork()  # drop the pooled connections to the configured broker
    try:
        yield
    finally:
        app.conf.broker_transport_options = saved[1]
        app.conf.broker_write_url = None if saved[0] == app.conf.broker_url else saved[0]
        app._after_fork()


def broker_unreachable():
    """A Redis URL where nothing listens: what the site sees while the broker is down."""
    return broker_at(f"redis://127.0.0.1:{closed_port()}/0")


class PrivateRedis:
    """A redis-server of this test's own (the machine's shared one must not be restarted)."""

    def __init__(self, work_dir: Path) -> None:
        self.port = closed_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.work_dir = work_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.work_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_retrain_with_the_broker_down_says_so_and_frees_the_lock(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-long-enough"))
    started = time.monotonic()
    with broker_unreachable():
        response = client.post(RETRAIN, {"mode": "local", "promotion": "gate"})
    assert time.monotonic() - started < 30
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("task queue could not be reached" in text for text in texts), texts
    run = TrainingRun.objects.get()
    assert run.state == TrainingRun.State.FAILED and "broker" in run.message
    assert lifecycle.current_run() is None
    # The lock is free: the next request is accepted at once, not after the stale timeout.
    again = lifecycle.open_run(TrainingOptions())
    assert again.state == TrainingRun.State.QUEUED


@pytest.mark.django_db(transaction=True)
def test_scheduled_retraining_with_the_broker_down_is_skipped_not_stranded():
    with broker_unreachable(), pytest.raises(TrainingNotQueued):
        dispatch.request_training(TrainingOptions())
    assert not TrainingRun.objects.filter(state__in=TrainingRun.ACTIVE_STATES).exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_during_training_does_not_kill_the_run(tmp_path, settings):
    """Redis goes away for 15 s while a worker trains; the run finishes and is recorded once.

    The one-task run (``SPIKELENS_PARALLEL_MEMBERS=0``): it keeps nothing in Redis while it
    trains. Members trained as a chord keep their count there, and a Redis that restarts empty
    loses it: that drill is tests/webapp/test_parallel_members.py's."""
    from tests.factories.site_data import populate_site
    from tests.webapp.worker import WorkerProcess
    from webapp.recommender.models import ModelVersion

    populate_site()
    artifacts = tmp_path / "artifacts"
    redis = PrivateRedis(tmp_path)
    redis.start()
    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={
            "CELERY_BROKER_URL": redis.url,
            "CELERY_RESULT_BACKEND": redis.url,
            "SPIKELENS_PARALLEL_MEMBERS": "0",
            "SPIKELENS_TRAINING_PRESET": "small",
            "SPIKELENS_HEARTBEAT_SECONDS": "0.5",
            "SPIKELENS_ARTIFACTS_DIR": str(artifacts),
        },
    )
    settings.SPIKELENS_TRAINING_QUEUE = worker.queue
    try:
        worker.wait_ready()
        with broker_at(redis.url):
            run = dispatch.request_training(TrainingOptions(epochs=150, promotion="always"))
        deadline = time.monotonic() + 120
        while not TrainingRun.objects.filter(pk=run.pk, epoch__gte=2).exists():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.2)
        redis.stop()  # the broker and result store vanish mid-run …
        time.sleep(15)
        redis.start()  # … and come back empty, as after a restart without persistence
        deadline = time.monotonic() + 300
        while TrainingRun.objects.filter(pk=run.pk, state__in=TrainingRun.ACTIVE_STATES).exists():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.5)
        run.refresh_from_db()
        assert run.state == TrainingRun.State.SUCCEEDED, (run.message, worker.log())
        assert ModelVersion.objects.count() == 1 and run.promoted
        assert worker.process.poll() is None  # the worker reconnected instead of dying
    finally:
        worker.stop()
        redis.stop()
