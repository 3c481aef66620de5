"""A run whose committee members train in parallel: one Celery task per member, then a chord
callback that assembles, evaluates, gates and publishes, exactly as the one-task run does.

The three steps, each a task on the training queue (webapp/recommender/tasks.py):

1. :func:`start` (the run's own task): claims the run, takes the snapshot, prepares what every
   member shares (training/committee.py) into the run's incoming folder, opens one
   :class:`~webapp.recommender.models.TrainingMember` row per member, and hands the chord to
   :func:`~webapp.recommender.runs.dispatch.send_members`.
2. :func:`train_member`, once per member, on whichever worker takes it: trains that member
   and writes it beside the prepared data. With one worker the members run one after another,
   which is today's sequence; with N they run N at a time. With ``SPIKELENS_MEMBER_RANKS`` > 1
   the task trains its member over that many data-parallel processes on its host
   (training/member_ranks.py) and writes it the same way.
3. :func:`finish`, the chord's callback: puts the members into the committee, evaluates,
   writes the artifact and publishes, registers and gates it with the one-task run's code.

One run still holds the one lock (its row stays running throughout). A member that fails marks
the run failed and removes its folder; a member whose worker dies stops its own heartbeat and
``expire_stale_runs`` fails the run; the other members notice at their next epoch and stop.
The model is the one the one-task run trains (same seeds, same weights; tested).
"""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from recsys.metrics.names import NDCG_AT_10
from webapp.recommender.models import TrainingMember, TrainingRun
from webapp.recommender.runs import dispatch, lifecycle
from webapp.recommender.runs.execution import (
    STOPPED_MESSAGE,
    TrainingStopped,
    _decide_promotion,
    _publish,
    _register,
    _version_name,
    stop_requested,
    training_config,
)
from webapp.recommender.runs.lifecycle import Heartbeat, TrainingOptions
from webapp.recommender.snapshot import take_snapshot

logger = logging.getLogger(__name__)

State = TrainingRun.State
Member = TrainingMember.State


class RunNotRunning(Exception):
    """The run was failed or finished elsewhere (another member, the expiry): stop quietly."""


def parallel_members_enabled() -> bool:
    """Whether runs train their members as a chord (``SPIKELENS_PARALLEL_MEMBERS``)."""
    return bool(settings.SPIKELENS_PARALLEL_MEMBERS)


def parts_dir(run_id: int) -> Path:
    """The shared files of a run's members, inside its incoming folder (removed with it)."""
    return lifecycle.staging_dir(run_id) / "parts"


# ----------------------------------------------------------------------------- 1. start


def start(run_id: int, queue: str) -> TrainingRun | None:
    """Claim the run, prepare the members' shared data and send the chord; None if not ours."""
    from training.committee import prepare_committee, save_prepared

    run = lifecycle.claim(run_id)
    if run is None:
        logger.info("Training run %s is not queued any more; nothing to do", run_id)
        return None
    options = TrainingOptions.from_json(run.options)
    config = training_config(options)
    staging = lifecycle.staging_dir(run_id)
    try:
        with Heartbeat(run_id):
            lifecycle.record_progress(run_id, stage="reading the database", progress=0.01)
            snapshot = take_snapshot()
            if snapshot.ratings.empty:
                raise ValueError("There are no ratings to learn from; import MovieLens first.")
            shutil.rmtree(staging, ignore_errors=True)
            lifecycle.record_progress(run_id, stage="preparing the members", progress=0.02)
            prepared = prepare_committee(snapshot.users, snapshot.movies, snapshot.ratings, config)
            save_prepared(prepared, parts_dir(run_id))
            count = prepared.members
            TrainingMember.objects.bulk_create(
                TrainingMember(run_id=run_id, index=index, total_epochs=config.fit.epochs)
                for index in range(count)
            )
            lifecycle.record_progress(
                run_id,
                stage=f"training {count} members",
                progress=0.05,
                epoch=0,
                total_epochs=config.fit.epochs,
            )
            dispatch.send_members(run_id, count, queue)
    except Exception as exc:
        _fail(run_id, exc)
        raise
    return TrainingRun.objects.get(pk=run_id)


# ----------------------------------------------------------------------------- 2. members


def train_member(run_id: int, index: int, worker: str = "") -> dict:
    """Train member ``index`` of a running run and write it; a no-op if the run is over or the
    member already trained (a redelivered message). ``worker``: the Celery node's name, shown
    in the admin beside the member."""
    from training.committee import fit_member_from, member_file, save_member

    folder = parts_dir(run_id)
    if not _running(run_id):
        return {"run": run_id, "member": index, "state": "not-running"}
    if member_file(folder, index).exists():
        return {"run": run_id, "member": index, "state": Member.DONE}
    claimed = TrainingMember.objects.filter(
        run_id=run_id, index=index, state__in=[Member.QUEUED, Member.RUNNING]
    ).update(
        state=Member.RUNNING,
        worker=(worker or socket.gethostname())[:200],
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        epoch=0,
    )
    if not claimed:
        return {"run": run_id, "member": index, "state": "not-ours"}
    try:
        with Heartbeat(run_id, member=index):
            result = fit_member_from(
                folder,
                index,
                ranks=settings.SPIKELENS_MEMBER_RANKS,
                on_epoch=_member_progress(run_id, index),
            )
            if not _running(run_id):
                raise RunNotRunning
            save_member(result, folder)
        lifecycle.through_database_blips(
            lambda: TrainingMember.objects.filter(run_id=run_id, index=index).update(
                state=Member.DONE, finished_at=timezone.now()
            ),
            what=f"recording member {index} of run {run_id}",
        )
        _record_run_progress(run_id)
    except RunNotRunning:
        logger.info("Training run %s ended elsewhere; member %s stops", run_id, index)
        _mark_member(run_id, index, Member.FAILED)
        return {"run": run_id, "member": index, "state": "not-running"}
    except BaseException as exc:
        _mark_member(run_id, index, Member.FAILED)
        _fail(run_id, exc, member=index)
        raise
    return {"run": run_id, "member": index, "state": Member.DONE}


def _member_progress(run_id: int, index: int):
    """After each epoch: stop if the worker is shutting down or the run ended, else report."""

    def on_epoch(report) -> None:
        if stop_requested.is_set():
            raise TrainingStopped(STOPPED_MESSAGE)
        if not _running(run_id):
            raise RunNotRunning
        logger.info(
            "Training run %s, member %s: epoch %s/%s, loss %.4f",
            run_id,
            index,
            report.epoch,
            report.total_epochs,
            report.loss,
        )
        lifecycle.through_database_blips(
            lambda: TrainingMember.objects.filter(run_id=run_id, index=index).update(
                epoch=report.epoch, loss=float(report.loss), heartbeat_at=timezone.now()
            ),
            what=f"recording progress of member {index} of run {run_id}",
        )
        _record_run_progress(run_id)

    return on_epoch


def _record_run_progress(run_id: int) -> None:
    """The run's line from its members' rows: the slowest member's epoch, all members' share."""
    lifecycle.through_database_blips(
        lambda: _write_run_progress(run_id), what=f"recording progress of run {run_id}"
    )


def _write_run_progress(run_id: int) -> None:
    rows = TrainingMember.objects.filter(run_id=run_id)
    totals = rows.aggregate(done=Sum("epoch"), planned=Sum("total_epochs"), slowest=Min("epoch"))
    count = rows.count()
    trained = rows.filter(state=Member.DONE).count()
    training = rows.filter(state=Member.RUNNING).count()
    share = (totals["done"] or 0) / max(totals["planned"] or 0, 1)
    lifecycle.record_progress(
        run_id,
        stage=f"members: {trained} of {count} trained, {training} training"[:60],
        progress=0.05 + 0.85 * share,
        epoch=totals["slowest"] or 0,
    )


# ----------------------------------------------------------------------------- 3. finish


def finish(run_id: int) -> TrainingRun | None:
    """The chord's callback: the committee from its members, evaluated, published, gated."""
    from training.committee import finish_committee, load_member, load_prepared

    folder = parts_dir(run_id)
    if not _running(run_id) or not folder.exists():
        logger.info("Training run %s is not running any more; nothing to finish", run_id)
        return None
    run = TrainingRun.objects.get(pk=run_id)
    options = TrainingOptions.from_json(run.options)
    staging = lifecycle.staging_dir(run_id)
    try:
        with Heartbeat(run_id):
            lifecycle.record_progress(run_id, stage="evaluating the committee", progress=0.92)
            prepared = load_prepared(folder)
            members = [load_member(folder, index) for index in range(prepared.members)]
            artifact = staging / "artifact"
            result = finish_committee(prepared, members, artifact)
            _store_history(run_id, result.history)
            final = _publish(
                artifact, Path(settings.SPIKELENS_ARTIFACTS_DIR) / _version_name(run_id)
            )
            shutil.rmtree(staging, ignore_errors=True)
            version = lifecycle.through_database_blips(
                lambda: _register(final, result), what=f"registering run {run_id}"
            )
            promoted, note = lifecycle.through_database_blips(
                lambda: _decide_promotion(version, options), what=f"promoting run {run_id}"
            )
        lifecycle.finish(run_id, message=note, version=version, promoted=promoted)
    except BaseException as exc:
        _fail(run_id, exc)
        raise
    return TrainingRun.objects.get(pk=run_id)


def members_failed(run_id: int, message: str) -> None:
    """The chord's error callback: a member's task failed (its worker may be gone)."""
    _fail(run_id, RuntimeError(message))


def _store_history(run_id: int, history: list[dict]) -> None:
    """The run's training curve: the members' mean loss per epoch, the metric at the end."""
    curve = [{"epoch": h["epoch"], "loss": h["loss"], "metric": h["metric"]} for h in history]
    last = curve[-1] if curve else {}
    fields = {"history": curve, "epoch": last.get("epoch", 0), "loss": last.get("loss")}
    if last.get("metric") is not None:
        fields.update(metric_name=NDCG_AT_10, metric_value=last["metric"])
    lifecycle.record_progress(run_id, **fields)


# ----------------------------------------------------------------------------- helpers


def _running(run_id: int) -> bool:
    return lifecycle.through_database_blips(
        lambda: TrainingRun.objects.filter(pk=run_id, state=State.RUNNING).exists(),
        what=f"reading the state of run {run_id}",
    )


def _mark_member(run_id: int, index: int, state: str) -> None:
    lifecycle.through_database_blips(
        lambda: (
            TrainingMember.objects.filter(run_id=run_id, index=index)
            .exclude(state=Member.DONE)
            .update(state=state, finished_at=timezone.now())
        ),
        what=f"recording member {index} of run {run_id}",
    )


def _fail(run_id: int, exc: BaseException, member: int | None = None) -> None:
    """Fail the run (if still active) and remove what it wrote; the old model keeps serving."""
    if isinstance(exc, TrainingStopped | KeyboardInterrupt):
        message = STOPPED_MESSAGE
    else:
        where = f"member {member}: " if member is not None else ""
        message = f"{where}{type(exc).__name__}: {exc}"
    logger.error("Training run %s failed: %s", run_id, message)
    lifecycle.fail(run_id, message)
    shutil.rmtree(lifecycle.staging_dir(run_id), ignore_errors=True)
