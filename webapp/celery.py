"""The Celery application shared by the web process (which sends tasks) and the workers."""

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("spikelens")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="spikelens.ping")
def ping(payload: str = "pong") -> str:
    """Round-trips through broker and worker; used by health checks and tests."""
    return payload


def declare_task_queues() -> list[str]:
    """Create the task queues and their bindings on the broker, once, before any worker starts.

    Why: with the filesystem transport the first process to bind a queue creates the exchange's
    table file and fills it in a second step; a worker and beat starting at the same moment can
    read that file empty and die. Declaring every queue once, up front, removes the race. On
    Redis or RabbitMQ declaring again is a harmless no-op.
    """
    from django.conf import settings

    names = [app.conf.task_default_queue, settings.SPIKELENS_TRAINING_QUEUE]
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for name in names:
            app.amqp.queues[name].bind(channel).declare()
    return names


@after_setup_logger.connect
def quiet_per_task_lines(**kwargs) -> None:
    """Leave out the worker's "Task … received" / "… succeeded" lines (failures still show).

    Why: the expiry of silent runs is a task a minute, so these lines buried everything else in
    ``make run``'s output; training runs log their own progress, one line per epoch.
    """
    for name in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
