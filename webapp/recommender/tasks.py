"""Celery tasks: training runs in a worker, never in a web process."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_shutting_down

from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch, execution, lifecycle
from webapp.recommender.runs.execution import execute_training_run

logger = logging.getLogger(__name__)


@worker_shutting_down.connect
def stop_training_on_shutdown(**kwargs) -> None:
    """A worker asked to stop (Ctrl-C, SIGTERM) ends its run at the next progress report.

    Why: a warm shutdown otherwise waits for the whole training, minutes on a busy machine; the
    run is marked failed, so the lock is free and the next start trains again. With
    ``--pool=solo`` (as ``bin/run`` starts it) the task runs in this process and sees the flag; a
    prefork pool's children finish their run as before.
    """
    execution.stop_requested.set()


@shared_task(name=dispatch.EXECUTE_RUN_TASK, acks_late=True)
def execute_queued_run(run_id: int) -> dict:
    """Carry out one queued training run (a redelivered message finds it claimed and stops)."""
    run = execute_training_run(run_id)
    if run is None:
        return {"run": run_id, "state": "not-ours"}
    return {"run": run.pk, "state": run.state, "version": run.model_version_id}


@shared_task(name="spikelens.retrain_on_schedule")
def retrain_on_schedule(epochs: int | None = None, mode: str = "local") -> dict:
    """Entry point for django-celery-beat's periodic task; skips when a run is in progress."""
    try:
        run = dispatch.request_training(
            lifecycle.TrainingOptions(epochs=epochs, mode=mode),
            trigger=TrainingRun.Trigger.SCHEDULE,
        )
    except (lifecycle.TrainingAlreadyRunning, dispatch.TrainingNotQueued) as exc:
        logger.info("Scheduled retraining skipped: %s", exc)
        return {"skipped": str(exc)}
    return {"run": run.pk}


@shared_task(name="spikelens.expire_stale_training_runs")
def expire_stale_training_runs() -> int:
    return lifecycle.expire_stale_runs()
