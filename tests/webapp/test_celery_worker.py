"""A task travels through the configured broker to a real worker process and back."""

from __future__ import annotations

from django.conf import settings

from webapp.celery import app, ping


def test_broker_is_the_configured_one():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_ping_round_trips_through_a_real_worker(celery_worker_process):
    result = ping.apply_async(args=["hello from the test"], queue=celery_worker_process.queue)
    assert result.get(timeout=60) == "hello from the test"
    assert "spikelens.ping" in celery_worker_process.log()
