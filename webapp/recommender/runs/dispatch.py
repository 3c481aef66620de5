"""Handing training runs to Celery workers: the one place that enqueues training work.

A run is sent only after the transaction that created it commits (``transaction.on_commit``),
so a worker never looks for a run that is not in the database yet, and a rolled-back request
sends nothing. The task is addressed by name, so this module does not import the tasks (which
import it for the schedule).
"""

from __future__ import annotations

import logging

from celery import chord, group
from django.conf import settings
from django.db import transaction

from webapp.celery import app
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.lifecycle import TrainingOptions

logger = logging.getLogger(__name__)

# The Celery name of the task that carries out a queued run (webapp/recommender/tasks.py).
EXECUTE_RUN_TASK = "spikelens.execute_training_run"
# A run whose members train in parallel (runs/members.py): one task per member, then the
# chord's callback, and its error callback.
TRAIN_MEMBER_TASK = "spikelens.train_committee_member"
FINISH_MEMBERS_TASK = "spikelens.finish_committee"
MEMBERS_FAILED_TASK = "spikelens.committee_failed"


class TrainingNotQueued(Exception):
    """The run was created but its message could not reach the broker; it is marked failed."""

    def __init__(self, run: TrainingRun, message: str) -> None:
        self.run = run
        super().__init__(f"Training run #{run.pk} was not started: {message}")


def request_training(
    options: TrainingOptions, *, trigger: str = TrainingRun.Trigger.ADMIN, user=None
) -> TrainingRun:
    """Open a queued run and send it to a worker once committed.

    Raises :class:`~webapp.recommender.lifecycle.TrainingAlreadyRunning` when a run is in the
    way, and :class:`TrainingNotQueued` (from the commit) when the broker cannot be reached.
    """
    run = lifecycle.open_run(options, trigger=trigger, user=user)
    transaction.on_commit(lambda: send_to_worker(run))
    return run


def send_to_worker(run: TrainingRun) -> None:
    """Put a committed run on the training queue, or fail it and say why.

    Why: a run that stays "queued" although its message never reached the broker would hold the
    one-training lock until it expires. When the broker cannot be reached the run is marked
    failed at once (freeing the lock) and :class:`TrainingNotQueued` tells the caller.
    """
    try:
        result = app.send_task(
            EXECUTE_RUN_TASK, args=[run.pk], queue=settings.SPIKELENS_TRAINING_QUEUE
        )
    except Exception as exc:  # kombu OperationalError, ConnectionError, timeouts, …
        message = (
            "The task queue could not be reached, so the run was not started "
            f"({type(exc).__name__}: {exc}). Check that the broker "
            "(CELERY_BROKER_URL) is running, then press “Retrain now” again."
        )
        lifecycle.fail(run.pk, message)
        logger.error("Training run %s could not be queued: %s", run.pk, exc)
        raise TrainingNotQueued(run, message) from exc
    TrainingRun.objects.filter(pk=run.pk).update(celery_task_id=result.id)
    run.celery_task_id = result.id


def send_members(run_id: int, count: int, queue: str) -> str:
    """Send a run's members as a chord on ``queue``: one task per member, then the callback.

    Why a chord: the result backend counts the members that are done and sends the callback
    once, whichever worker finishes last (Redis counts natively; other backends poll). Workers
    take one member at a time (late acks, prefetch 1), so N workers train N members at once.
    """
    header = group(
        app.signature(TRAIN_MEMBER_TASK, args=(run_id, index), queue=queue)
        for index in range(count)
    )
    body = app.signature(FINISH_MEMBERS_TASK, args=(run_id,), queue=queue, immutable=True)
    body.link_error(app.signature(MEMBERS_FAILED_TASK, args=(run_id,), queue=queue))
    return chord(header, body).apply_async().id
