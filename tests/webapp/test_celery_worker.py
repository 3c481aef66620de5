"""A task travels through the configured broker to a real worker process and back."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from webapp.celery import app, declare_task_queues, ping


def test_broker_is_the_configured_one():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_ping_round_trips_through_a_real_worker(celery_worker_process):
    result = ping.apply_async(args=["hello from the test"], queue=celery_worker_process.queue)
    assert result.get(timeout=60) == "hello from the test"
    assert "spikelens.ping" in celery_worker_process.log()


def test_task_queues_are_declared_up_front_and_redeclaring_is_harmless():
    """Worker and beat start together in ``make run``; the queues must exist before either."""
    names = declare_task_queues()
    assert names == ["celery", settings.SPIKELENS_TRAINING_QUEUE]
    assert declare_task_queues() == names
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for name in names:
            bound = channel.typeof(name).lookup(channel.get_table(name), name, name, None)
            assert set(bound) == {name}, f"exchange {name!r} does not route to its queue"
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        control = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"])
        for name in names:
            table = json.loads((control / f"{name}.exchange").read_text())
            assert [name, "", name] in table
