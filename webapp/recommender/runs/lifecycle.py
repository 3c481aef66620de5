"""The life of a training run: requested, claimed by a worker, reporting progress, finished.

Every state change is a conditional UPDATE, so a run is claimed once even if its message is
delivered twice, and a run whose worker died (no heartbeat for a while) is declared failed instead
of blocking training forever.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from webapp.recommender.models import TrainingMember, TrainingRun

logger = logging.getLogger(__name__)
T = TypeVar("T")

State = TrainingRun.State
MODES = {"local": "snn-local", "bptt": "snn-bptt"}
PROMOTION_CHOICES = ("gate", "always", "never")


class TrainingAlreadyRunning(Exception):
    """Only one run at a time; ``run`` is the one in the way."""

    def __init__(self, run: TrainingRun | None) -> None:
        self.run = run
        if run is None:
            message = "A training run is already in progress."
        else:
            since = run.started_at or run.created_at
            message = (
                f"Training run #{run.pk} is already {run.get_state_display().lower()} "
                f"(since {since:%Y-%m-%d %H:%M:%S} UTC); wait for it to finish."
            )
        super().__init__(message)


@dataclass(frozen=True)
class TrainingOptions:
    """What a person can choose when asking for a retrain."""

    epochs: int | None = None
    mode: str = "local"
    promotion: str = "gate"

    def __post_init__(self) -> None:
        if self.epochs is not None and not 1 <= self.epochs <= 500:
            raise ValueError("epochs must be between 1 and 500")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.promotion not in PROMOTION_CHOICES:
            raise ValueError(f"promotion must be one of {', '.join(PROMOTION_CHOICES)}")

    def as_json(self) -> dict:
        return {"epochs": self.epochs, "mode": self.mode, "promotion": self.promotion}

    @classmethod
    def from_json(cls, data: dict) -> TrainingOptions:
        return cls(
            epochs=data.get("epochs"),
            mode=data.get("mode", "local"),
            promotion=data.get("promotion", "gate"),
        )


# ----------------------------------------------------------------------------- opening


def open_run(
    options: TrainingOptions, *, trigger: str = TrainingRun.Trigger.ADMIN, user=None
) -> TrainingRun:
    """Create a queued run, taking the one-training lock; refuse when a run is queued or running.

    Why no enqueueing here: who carries the run out differs (a Celery worker after commit, via
    :func:`webapp.recommender.runs.dispatch.request_training`, or ``manage.py train_model`` in the
    foreground), and the state machine must not know about the task queue.
    """
    expire_stale_runs()
    try:
        with transaction.atomic():
            return TrainingRun.objects.create(
                options=options.as_json(), trigger=trigger, requested_by=user
            )
    except IntegrityError:
        raise TrainingAlreadyRunning(current_run()) from None


def current_run() -> TrainingRun | None:
    return TrainingRun.objects.filter(state__in=TrainingRun.ACTIVE_STATES).first()


# ----------------------------------------------------------------------------- worker side


def claim(run_id: int) -> TrainingRun | None:
    """Move a queued run to running; None if someone else already did (or it was expired)."""
    now = timezone.now()
    claimed = TrainingRun.objects.filter(pk=run_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=now, heartbeat_at=now, stage="starting"
    )
    return TrainingRun.objects.get(pk=run_id) if claimed else None


def through_database_blips(
    write: Callable[[], T], *, what: str, patience: float | None = None
) -> T:
    """Run a small idempotent write, reconnecting and retrying while the database is away.

    Why: a PostgreSQL restart or failover takes seconds; without this the first progress
    write after it raised, the run died, and a good hour of training was lost. Each retry drops
    the broken connection (Django opens a new one on the next query) and waits a little longer,
    up to ``patience`` seconds (``SPIKELENS_DB_RETRY_SECONDS``) in all.
    """
    patience = settings.SPIKELENS_DB_RETRY_SECONDS if patience is None else patience
    deadline = time.monotonic() + patience
    delay = 0.25
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "Database unreachable while %s (%s); retrying in %.1f s",
                what,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                delay,
            )
            # Closing a dead connection may fail too; it is dropped either way.
            with contextlib.suppress(Exception):
                connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def record_progress(run_id: int, **fields) -> None:
    """Store progress fields (stage, epoch, loss, …) and count it as a heartbeat."""
    if "progress" in fields:
        fields["progress"] = min(max(float(fields["progress"]), 0.0), 1.0)
    through_database_blips(
        lambda: TrainingRun.objects.filter(pk=run_id, state=State.RUNNING).update(
            heartbeat_at=timezone.now(), **fields
        ),
        what=f"recording progress of run {run_id}",
    )


def touch_heartbeat(run_id: int, member: int | None = None) -> None:
    """Prove the run's worker is alive (called from the heartbeat thread); a member task's
    heartbeat also proves its own member alive."""

    def beat() -> None:
        now = timezone.now()
        TrainingRun.objects.filter(pk=run_id, state=State.RUNNING).update(heartbeat_at=now)
        if member is not None:
            TrainingMember.objects.filter(
                run_id=run_id, index=member, state=TrainingMember.State.RUNNING
            ).update(heartbeat_at=now)

    through_database_blips(beat, what=f"sending the heartbeat of run {run_id}")


def finish(run_id: int, *, message: str, version=None, promoted: bool = False) -> None:
    through_database_blips(
        lambda: TrainingRun.objects.filter(pk=run_id).update(
            state=State.SUCCEEDED,
            finished_at=timezone.now(),
            progress=1.0,
            stage="done",
            message=message,
            model_version=version,
            promoted=promoted,
        ),
        what=f"finishing run {run_id}",
    )


def fail(run_id: int, message: str) -> None:
    through_database_blips(
        lambda: TrainingRun.objects.filter(pk=run_id, state__in=TrainingRun.ACTIVE_STATES).update(
            state=State.FAILED, finished_at=timezone.now(), stage="failed", message=message[:5000]
        ),
        what=f"marking run {run_id} failed",
    )


def expire_stale_runs(now: dt.datetime | None = None) -> int:
    """Declare failed the runs whose worker stopped reporting (killed, crashed, or never started)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.SPIKELENS_TRAINING_STALE_SECONDS)
    reasons = {
        State.RUNNING: (
            Q(heartbeat_at__lt=cutoff),
            "The worker stopped reporting progress (it was killed or crashed); "
            "the previous model keeps serving.",
        ),
        State.QUEUED: (
            Q(created_at__lt=cutoff),
            "No worker picked this run up in time. Is a Celery worker running?",
        ),
    }
    expired: list[int] = []
    # A run whose members train on several workers keeps its heartbeat while any member
    # trains; a member whose own heartbeat stopped lost its worker, and the run with it.
    lost_member = Q(members__state=TrainingMember.State.RUNNING, members__heartbeat_at__lt=cutoff)
    ids = list(
        TrainingRun.objects.filter(lost_member, state=State.RUNNING)
        .values_list("pk", flat=True)
        .distinct()
    )
    if ids and TrainingRun.objects.filter(pk__in=ids, state=State.RUNNING).update(
        state=State.FAILED,
        finished_at=now,
        stage="failed",
        message="A committee member's worker stopped reporting progress (it was killed or "
        "crashed); the previous model keeps serving.",
    ):
        expired.extend(ids)
    for state, (silent, message) in reasons.items():
        ids = list(TrainingRun.objects.filter(silent, state=state).values_list("pk", flat=True))
        if ids and TrainingRun.objects.filter(silent, pk__in=ids, state=state).update(
            state=State.FAILED, finished_at=now, stage="failed", message=message
        ):
            expired.extend(ids)
    if expired:
        logger.warning("Marked silent training run(s) %s as failed", expired)
        remove_staging(expired)
    return len(expired)


def silence_warning(run: TrainingRun, now: dt.datetime | None = None) -> str:
    """ "No heartbeat for 2 min …" for a running run whose worker has gone quiet, else "".

    Why: a killed worker's run is declared failed only after the stale timeout (5 minutes); until
    then the admin should see that it is waiting for a sign of life, not a plain "running".
    A run is quiet after three missed heartbeats (and at least a minute).
    """
    if run.state != State.RUNNING or run.heartbeat_at is None:
        return ""
    now = now or timezone.now()
    quiet = (now - run.heartbeat_at).total_seconds()
    if quiet < max(3 * settings.SPIKELENS_HEARTBEAT_SECONDS, 60):
        return ""
    minutes = int(quiet // 60)
    limit = settings.SPIKELENS_TRAINING_STALE_SECONDS / 60
    return (
        f"No heartbeat for {minutes} min: the worker may have died; "
        f"the run is declared failed after {limit:g} min of silence."
    )


def staging_dir(run_id: int) -> Path:
    """Where a run writes its artifact before it is complete and renamed into place."""
    return Path(settings.SPIKELENS_ARTIFACTS_DIR) / f".incoming-{run_id}"


def remove_staging(run_ids: list[int]) -> None:
    """Delete what dead runs left half-written; finished artifacts are never touched."""
    for run_id in run_ids:
        shutil.rmtree(staging_dir(run_id), ignore_errors=True)


@dataclass
class Heartbeat:
    """Touches the run's heartbeat from a thread while training runs, however long an epoch takes.

    ``member``: the committee member this task trains, whose own heartbeat is touched too.
    """

    run_id: int
    member: int | None = None
    interval: float = field(default_factory=lambda: settings.SPIKELENS_HEARTBEAT_SECONDS)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._beat, name="training-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    touch_heartbeat(self.run_id, self.member)
                except Exception:  # a longer outage: keep beating; the run decides its fate
                    logger.exception("Heartbeat of training run %s failed", self.run_id)
        finally:
            connection.close()  # this thread's own connection


class ProgressThrottle:
    """Writes progress at most every ``min_interval`` seconds, except when the stage or epoch changes."""

    def __init__(self, run_id: int, min_interval: float = 1.0) -> None:
        self.run_id = run_id
        self.min_interval = min_interval
        self._last_write = float("-inf")
        self._last_key: tuple | None = None

    @property
    def last_key(self) -> tuple | None:
        """The (stage, epoch) of the last progress written."""
        return self._last_key

    def __call__(self, key: tuple, **fields) -> None:
        now = time.monotonic()
        if key != self._last_key or now - self._last_write >= self.min_interval:
            record_progress(self.run_id, **fields)
            self._last_write = now
            self._last_key = key
