"""The broker is down when someone presses "Retrain now": a clear message, and no stranded lock.

The outage is real: the Celery app is pointed at a port where no broker listens, so the send
fails the way it does when Redis or RabbitMQ is stopped.
"""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from webapp.celery import app
from webapp.recommender import training_runs
from webapp.recommender.models import TrainingRun
from webapp.recommender.training_runs import TrainingNotQueued, TrainingOptions

RETRAIN = reverse("admin:recommender_trainingrun_retrain")


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker_unreachable():
    """Point the Celery app at a dead Redis for the duration, then restore its connections."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    app.conf.broker_transport_options = {}
    app._after_fork()  # drop the pooled connections to the real broker
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        app._after_fork()


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
    assert training_runs.current_run() is None
    # The lock is free: the next request is accepted at once, not after the stale timeout.
    again = training_runs.request_training(TrainingOptions(), enqueue=False)
    assert again.state == TrainingRun.State.QUEUED


@pytest.mark.django_db(transaction=True)
def test_scheduled_retraining_with_the_broker_down_is_skipped_not_stranded():
    with broker_unreachable(), pytest.raises(TrainingNotQueued):
        training_runs.request_training(TrainingOptions())
    assert not TrainingRun.objects.filter(state__in=TrainingRun.ACTIVE_STATES).exists()
