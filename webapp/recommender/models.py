"""The registry of trained recommendation models and which one serves the site."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from recsys.metrics.names import NDCG_AT_10


class ModelVersion(models.Model):
    """One trained artifact on disk. Artifacts are immutable; only ``is_active`` ever changes."""

    name = models.CharField(max_length=100)
    artifact_path = models.CharField(max_length=500, unique=True)
    model_kind = models.CharField(max_length=40, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=False)
    # Set when a web process could not load the artifact (truncated, deleted, corrupt). Artifacts
    # are immutable, so a broken one stays broken: it is never promoted again.
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The database, not application code, guarantees a single serving model.
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="single_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.is_active else ''}"

    @property
    def ndcg(self) -> float | None:
        value = self.metrics.get(NDCG_AT_10)
        return float(value) if value is not None else None


class TrainingRun(models.Model):
    """One request to train a model, from the admin, the command line or the schedule.

    The partial unique constraint on ``slot`` is the lock: the database admits at most one run that
    is queued or running, across any number of web processes and workers, on SQLite too.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command line"
        SCHEDULE = "schedule", "Schedule"

    slot = models.CharField(max_length=20, default="training", editable=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.ADMIN)
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=60, blank=True)
    epoch = models.PositiveIntegerField(default=0)
    total_epochs = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True)
    metric_name = models.CharField(max_length=30, blank=True)
    metric_value = models.FloatField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    promoted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(state__in=["queued", "running"]),
                name="one_training_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="progress_is_a_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"Training run #{self.pk} ({self.get_state_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class TrainingMember(models.Model):
    """One committee member of a run whose members train as separate Celery tasks.

    Why a row per member and not a field of the run: members train at once on different
    workers, and each writes only its own row, so no update overwrites another member's
    progress. Its heartbeat tells a member whose worker died from one still training
    (lifecycle.expire_stale_runs), while the others keep the run's heartbeat going.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Training"
        DONE = "done", "Trained"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="members")
    index = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    worker = models.CharField(max_length=200, blank=True)
    epoch = models.PositiveIntegerField(default=0)
    total_epochs = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="one_row_per_member"),
        ]

    def __str__(self) -> str:
        return f"member {self.index} of run #{self.run_id} ({self.get_state_display().lower()})"
