"""Celery tasks: training runs in a worker, never in a web process."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_shutting_down
from django.conf import settings

from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch, execution, lifecycle, members
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


@shared_task(name=dispatch.EXECUTE_RUN_TASK, acks_late=True, bind=True)
def execute_queued_run(self, run_id: int) -> dict:
    """Carry out one queued training run (a redelivered message finds it claimed and stops).

    With ``SPIKELENS_PARALLEL_MEMBERS`` the run's members go out as a chord on the queue this
    message came from (runs/members.py); this task ends once they are sent.
    """
    if members.parallel_members_enabled():
        queue = (self.request.delivery_info or {}).get("routing_key")
        run = members.start(run_id, queue or settings.SPIKELENS_TRAINING_QUEUE)
    else:
        run = execute_training_run(run_id)
    if run is None:
        return {"run": run_id, "state": "not-ours"}
    return {"run": run.pk, "state": run.state, "version": run.model_version_id}


@shared_task(name=dispatch.TRAIN_MEMBER_TASK, acks_late=True, bind=True)
def train_committee_member(self, run_id: int, index: int) -> dict:
    """Train one committee member of a running run (a redelivery of a trained one is a no-op)."""
    return members.train_member(run_id, index, worker=self.request.hostname or "")


@shared_task(name=dispatch.FINISH_MEMBERS_TASK, acks_late=True)
def finish_committee(run_id: int) -> dict:
    """The chord's callback: evaluate, publish and gate the committee of trained members."""
    run = members.finish(run_id)
    if run is None:
        return {"run": run_id, "state": "not-running"}
    return {"run": run.pk, "state": run.state, "version": run.model_version_id}


@shared_task(name=dispatch.MEMBERS_FAILED_TASK)
def committee_failed(request, exc, traceback, run_id: int) -> None:
    """The chord's error callback: a member's task failed, so the run fails (lock freed)."""
    members.members_failed(run_id, f"a member's task failed: {type(exc).__name__}: {exc}")


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
