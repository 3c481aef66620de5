"""The Celery application shared by the web process (which sends tasks) and the workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("spikelens")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="spikelens.ping")
def ping(payload: str = "pong") -> str:
    """Round-trips through broker and worker; used by health checks and tests."""
    return payload
