"""Celery tasks: training runs in a worker, never in a web process."""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.recommender import dispatch, training_runs
from webapp.recommender.models import TrainingRun
from webapp.recommender.retraining import execute_training_run

logger = logging.getLogger(__name__)


@shared_task(name=dispatch.EXECUTE_RUN_TASK, acks_late=True)
def train_model(run_id: int) -> dict:
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
            training_runs.TrainingOptions(epochs=epochs, mode=mode),
            trigger=TrainingRun.Trigger.SCHEDULE,
        )
    except (training_runs.TrainingAlreadyRunning, dispatch.TrainingNotQueued) as exc:
        logger.info("Scheduled retraining skipped: %s", exc)
        return {"skipped": str(exc)}
    return {"run": run.pk}


@shared_task(name="spikelens.expire_stale_training_runs")
def expire_stale_training_runs() -> int:
    return training_runs.expire_stale_runs()
