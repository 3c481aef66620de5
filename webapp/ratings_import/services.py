"""Importing ratings: keep an uploaded export for review, then write the chosen ratings at once.

``start_import`` matches every readable row to the catalogue and stores the result as a
``PendingImport``; nothing is rated yet. ``confirm_import`` writes the person's choices in one
transaction through the catalogue's own ``rate_movies`` (so each rating refreshes the movie's
count and mean, and ``rating_saved`` is sent after commit), marks the import done in the same
transaction, and holds the import's row lock meanwhile: a failure half-way leaves nothing
imported, and a second submission finds the import done and imports nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webapp.catalog.models import Rating
from webapp.catalog.services import rate_movies
from webapp.ratings_import.matching import match_titles
from webapp.ratings_import.models import PENDING_LIFETIME, PendingImport, RowStatus
from webapp.ratings_import.parsers import Kind, ParsedFile

# Uploads a person may make per hour (each one is matched against the whole catalogue). The
# count is of their own PendingImport rows, the record every accepted upload leaves anyway.
UPLOADS_PER_HOUR = 10
# Finished, discarded and expired imports are deleted this long after their upload.
KEEP_FOR = dt.timedelta(days=1)


class ImportAlreadyFinished(Exception):
    """The import was confirmed (or discarded) already: a second submission changes nothing."""

    def __init__(self, pending: PendingImport) -> None:
        super().__init__(f"import {pending.pk} is {pending.status}")
        self.pending = pending


class ImportExpired(Exception):
    """The import waited longer than ``PENDING_LIFETIME`` for its review."""


class ChoiceNotOffered(Exception):
    """A submitted movie is not one the import offered for that row (a tampered form)."""


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    skipped: int
    unmatched: int
    kept: int
    invalid: int
    not_movies: int

    def as_json(self) -> dict:
        return self.__dict__.copy()


def uploads_in_the_last_hour(user: AbstractBaseUser) -> int:
    since = timezone.now() - dt.timedelta(hours=1)
    return PendingImport.objects.filter(user=user, created_at__gte=since).count()


def start_import(user: AbstractBaseUser, parsed: ParsedFile, file_name: str = "") -> PendingImport:
    """Match the file's rows to the catalogue and keep them for review (nothing is rated yet)."""
    readable = parsed.readable
    matches = match_titles((row.title, row.year) for row in readable)
    rows = []
    for row in parsed.rows:
        stored = {
            "row": row.number,
            "title": row.title,
            "year": row.year,
            "rating": row.rating,
            "stars": row.stars,
            "reason": row.reason,
            "candidates": [],
        }
        if row.kind == Kind.INVALID:
            stored["status"] = RowStatus.INVALID
        elif row.kind == Kind.NOT_A_MOVIE:
            stored["status"] = RowStatus.NOT_A_MOVIE
        else:
            match = matches[(row.title, row.year)]
            stored["status"] = match.status
            stored["reason"] = match.reason
            stored["candidates"] = [candidate.as_json() for candidate in match.candidates]
        rows.append(stored)
    _mark_duplicates(rows)
    now = timezone.now()
    with transaction.atomic():
        PendingImport.objects.filter(created_at__lt=now - KEEP_FOR).delete()
        return PendingImport.objects.create(
            user=user,
            file_name=file_name[:200],
            file_format=parsed.format.key,
            rows=rows,
            created_at=now,
            expires_at=now + PENDING_LIFETIME,
        )


def _mark_duplicates(rows: list[dict]) -> None:
    """Rows matched to a movie a later row also matches: the later row counts (a newer rating)."""
    last_row: dict[int, int] = {}
    for row in rows:
        if row["status"] == RowStatus.MATCHED:
            last_row[row["candidates"][0]["id"]] = row["row"]
    for row in rows:
        if row["status"] == RowStatus.MATCHED:
            later = last_row[row["candidates"][0]["id"]]
            if later != row["row"]:
                row["status"] = RowStatus.DUPLICATE
                row["reason"] = f"Row {later} rates the same movie; the later row counts."


def current_ratings(user: AbstractBaseUser) -> dict[int, int]:
    """The person's ratings on SpikeLens now: movie id → stars."""
    return dict(Rating.objects.filter(user=user).values_list("movie_id", "score"))


def confirm_import(
    user: AbstractBaseUser, pending_id, chosen: dict[int, int], overwrite: set[int] = frozenset()
) -> ImportSummary:
    """Write the chosen ratings (row number → movie id), all or none, once.

    Every chosen movie must be one the import offered for its row. A movie already rated on
    SpikeLens keeps that rating unless its row is in ``overwrite``. When two rows choose one
    movie, the later row counts.
    """
    with transaction.atomic():
        pending = PendingImport.objects.select_for_update().filter(pk=pending_id, user=user).first()
        if pending is None:
            raise PendingImport.DoesNotExist(pending_id)
        if pending.status != PendingImport.Status.PENDING:
            raise ImportAlreadyFinished(pending)
        if pending.is_expired:
            raise ImportExpired(pending_id)
        rows = {row["row"]: row for row in pending.rows}
        for number, movie_id in chosen.items():
            row = rows.get(number)
            offered = {c["id"] for c in row["candidates"]} if row else set()
            if row is None or row["status"] not in (RowStatus.MATCHED, RowStatus.AMBIGUOUS):
                raise ChoiceNotOffered(f"row {number} cannot be imported")
            if movie_id not in offered:
                raise ChoiceNotOffered(f"movie {movie_id} was not offered for row {number}")
        rated = current_ratings(user)
        scores: dict[int, int] = {}
        for number in sorted(chosen):
            if chosen[number] not in rated or number in overwrite:
                scores[chosen[number]] = rows[number]["stars"]
        # Rows whose movie keeps the rating it has on SpikeLens: matched to a rated movie (ticked
        # or not), or an ambiguous row choosing one, and not asked to replace it.
        kept = sum(
            1
            for number, row in rows.items()
            if number not in overwrite
            and (
                (row["status"] == RowStatus.MATCHED and row["candidates"][0]["id"] in rated)
                or chosen.get(number) in rated
            )
        )
        imported = rate_movies(user, scores)
        statuses = Counter(row["status"] for row in pending.rows)
        unmatched = statuses[RowStatus.UNMATCHED]
        summary = ImportSummary(
            imported=imported,
            skipped=len(pending.rows) - imported - unmatched,
            unmatched=unmatched,
            kept=kept,
            invalid=statuses[RowStatus.INVALID],
            not_movies=statuses[RowStatus.NOT_A_MOVIE],
        )
        pending.status = PendingImport.Status.IMPORTED
        pending.summary = summary.as_json()
        pending.finished_at = timezone.now()
        pending.save(update_fields=["status", "summary", "finished_at"])
    return summary


def discard_import(user: AbstractBaseUser, pending_id) -> bool:
    """Drop a pending import without rating anything; False if it was not pending."""
    with transaction.atomic():
        changed = PendingImport.objects.filter(
            pk=pending_id, user=user, status=PendingImport.Status.PENDING
        ).update(status=PendingImport.Status.DISCARDED, finished_at=timezone.now())
    return bool(changed)
