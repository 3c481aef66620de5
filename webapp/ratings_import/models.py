"""An uploaded export waiting for its owner's review, kept server-side until it is confirmed.

The parsed and matched rows live in one row of the database rather than in the session: an
export of 900 ratings with their candidates is a few hundred kilobytes, which the session would
load and save on every page view, and a database row can be locked when the import is
confirmed (so a double submission imports once) and outlives a session change at log-in.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

# How long an upload waits for its review; after that it must be uploaded again.
PENDING_LIFETIME = dt.timedelta(hours=1)


class RowStatus:
    """What the review page does with a row (``PendingImport.rows[i]["status"]``)."""

    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    UNMATCHED = "unmatched"
    NOT_A_MOVIE = "not_movie"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class PendingImport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    # Random, so the address of someone's import cannot be guessed (it is 404 to others anyway).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_imports"
    )
    file_name = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=20)
    # One dict per row of the file: row number, status, title, year, rating, stars, reason and
    # the candidate movies ({"id", "title", "year"}) the person may choose among.
    rows = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counts shown once the import is done: imported, skipped, unmatched and their parts.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="import_user_recent"),
            models.Index(fields=["created_at"], name="import_created"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name or 'import'} by {self.user} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("ratings_import:review", args=[self.pk])

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and timezone.now() >= self.expires_at

    def rows_with(self, *statuses: str) -> list[dict]:
        return [row for row in self.rows if row["status"] in statuses]
