"""Train a new model version from the site's data, publish it immutably, and maybe promote it.

Runs inside a Celery worker (or ``manage.py train_model``), never in a web process. The artifact is
written under a temporary name and renamed into place only when complete, so a crash leaves at
most a stray temporary folder and never a half-written version that could be promoted.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from webapp.recommender import registry
from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.lifecycle import Heartbeat, ProgressThrottle, TrainingOptions
from webapp.recommender.snapshot import take_snapshot

logger = logging.getLogger(__name__)

ProgressListener = Callable[[object], None]

# Set when the worker is asked to shut down (Ctrl-C, SIGTERM); the run stops at its next progress
# report instead of holding the shutdown for the rest of the training.
stop_requested = threading.Event()

STOPPED_MESSAGE = (
    "Stopped because its worker was shut down (Ctrl-C or SIGTERM); the previous model keeps "
    "serving. Retrain from the admin, or start `make run` again for the first model."
)


class TrainingStopped(Exception):
    """The worker is shutting down; the run ends as failed, with nothing half-written left."""


def execute_training_run(
    run_id: int, listener: ProgressListener | None = None
) -> TrainingRun | None:
    """Carry out a queued run end to end. Returns the finished run, or None if it was not ours."""
    run = lifecycle.claim(run_id)
    if run is None:
        logger.info("Training run %s is not queued any more; nothing to do", run_id)
        return None
    options = TrainingOptions.from_json(run.options)
    staging: Path | None = None
    try:
        with Heartbeat(run_id):
            lifecycle.record_progress(run_id, stage="reading the database", progress=0.01)
            snapshot = take_snapshot()
            if snapshot.ratings.empty:
                raise ValueError("There are no ratings to learn from; import MovieLens first.")
            artifacts = Path(settings.SPIKELENS_ARTIFACTS_DIR)
            artifacts.mkdir(parents=True, exist_ok=True)
            staging = lifecycle.staging_dir(run_id)
            shutil.rmtree(staging, ignore_errors=True)
            result = _train(snapshot, options, staging, _progress_writer(run_id, listener))
            final = _publish(staging, artifacts / _version_name(run_id))
            staging = None
            # The artifact is safe on disk; a database blip now must not throw the run away.
            version = lifecycle.through_database_blips(
                lambda: _register(final, result), what=f"registering run {run_id}"
            )
            promoted, note = lifecycle.through_database_blips(
                lambda: _decide_promotion(version, options), what=f"promoting run {run_id}"
            )
        lifecycle.finish(run_id, message=note, version=version, promoted=promoted)
    except (TrainingStopped, KeyboardInterrupt) as exc:
        logger.warning("Training run %s stopped: its worker is shutting down", run_id)
        lifecycle.fail(run_id, STOPPED_MESSAGE)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
    except Exception as exc:
        logger.exception("Training run %s failed", run_id)
        lifecycle.fail(run_id, f"{type(exc).__name__}: {exc}")
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return TrainingRun.objects.get(pk=run_id)


def training_config(options: TrainingOptions):
    """The pipeline configuration for a run: the site's preset, the chosen mode and epochs."""
    from training.pipeline import TrainConfig

    preset = settings.SPIKELENS_TRAINING_PRESET
    base = TrainConfig.small() if preset == "small" else TrainConfig()
    changes = {"model": lifecycle.MODES[options.mode]}
    if options.epochs is not None:
        changes["epochs"] = options.epochs
    if settings.SPIKELENS_TRAINING_MEMBERS:
        changes["members"] = settings.SPIKELENS_TRAINING_MEMBERS
    if settings.SPIKELENS_TRAINING_THREADS:
        changes["torch_threads"] = settings.SPIKELENS_TRAINING_THREADS
    return base.with_settings(**changes)


def _train(snapshot, options: TrainingOptions, out_dir: Path, progress):
    from training.pipeline import train_and_evaluate

    return train_and_evaluate(
        snapshot.users,
        snapshot.movies,
        snapshot.ratings,
        training_config(options),
        out_dir,
        progress=progress,
        # No bar of the pipeline's own: the worker logs a line per epoch, the command its own bar.
        show_progress=False,
    )


def _progress_writer(run_id: int, listener: ProgressListener | None):
    throttle = ProgressThrottle(run_id)
    history: list[dict] = []

    def on_progress(event) -> None:
        if stop_requested.is_set():
            raise TrainingStopped(STOPPED_MESSAGE)
        if listener is None and (event.stage, event.epoch) != throttle.last_key:
            # In a worker the log is the display; a command's listener draws its own bar.
            logger.info("Training run %s: %s", run_id, describe(event))
        fields = {"stage": str(event.stage)[:60], "progress": event.fraction}
        if event.epoch:
            fields["epoch"] = event.epoch
            fields["total_epochs"] = event.total_epochs or 0
        if event.loss is not None:
            fields["loss"] = float(event.loss)
        if event.metric_value is not None:
            fields["metric_name"] = str(event.metric_name or "")[:30]
            fields["metric_value"] = float(event.metric_value)
        if event.epoch and (event.loss is not None or event.metric_value is not None):
            point = {"epoch": event.epoch, "loss": event.loss, "metric": event.metric_value}
            if not history or history[-1]["epoch"] != event.epoch:
                history.append(point)
            else:
                history[-1].update({k: v for k, v in point.items() if v is not None})
            fields["history"] = list(history)
        throttle((event.stage, event.epoch), **fields)
        if listener is not None:
            listener(event)

    return on_progress


def describe(event) -> str:
    """One line for people: "epoch 3/20, loss 0.4123, ndcg@10 0.4012 (18%)"."""
    bits = [str(event.stage)]
    if event.epoch:
        bits = [f"epoch {event.epoch}/{event.total_epochs}"]
    if event.loss is not None:
        bits.append(f"loss {event.loss:.4f}")
    if event.metric_value is not None:
        bits.append(f"{event.metric_name} {event.metric_value:.4f}")
    return f"{', '.join(bits)} ({round(100 * event.fraction)}%)"


def _version_name(run_id: int) -> str:
    return f"v{run_id:04d}-{timezone.now():%Y%m%d-%H%M%S}"


def _publish(staging: Path, final: Path) -> Path:
    """Make the finished artifact durable, then visible under its final name in one rename."""
    from recsys.serving.artifact import fsync_path

    for root, _dirs, files in os.walk(staging):
        for name in files:
            fsync_path(Path(root) / name)
        fsync_path(Path(root))
    os.rename(staging, final)
    fsync_path(final.parent)
    return final


def _register(path: Path, result) -> ModelVersion:
    """The published artifact as a model version; its data fingerprint is the one training
    stored in it, not the snapshot hashed a second time."""
    from recsys.serving.artifact import read_fingerprint

    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, int | float | str)}
    # The configuration itself stays in the artifact (the admin reads it there); only the
    # model kind, a column the admin lists and filters by, is taken from it.
    return ModelVersion.objects.create(
        name=path.name,
        artifact_path=str(path),
        model_kind=str(result.config.to_dict().get("model", "")),
        metrics=metrics,
        data_fingerprint=read_fingerprint(path)["sha256"],
        size_bytes=registry.directory_size(path),
    )


def _decide_promotion(version: ModelVersion, options: TrainingOptions) -> tuple[bool, str]:
    summary = (
        f"Trained {version.name}: nDCG@10 {version.ndcg:.4f}."
        if version.ndcg is not None
        else f"Trained {version.name}."
    )
    if options.promotion == "never":
        return False, f"{summary} Not promoted (promotion left to an admin)."
    if options.promotion == "gate":
        decision = registry.gate(version.metrics, registry.active_version())
        if not decision.passed:
            return False, f"{summary} Not promoted: {decision.reason}."
        reason = decision.reason
    else:
        reason = "promoted on the admin's request"
    try:
        registry.promote(version)
    except registry.PromotionError as exc:
        return False, f"{summary} Not promoted: {exc}"
    return True, f"{summary} Promoted: {reason}."
