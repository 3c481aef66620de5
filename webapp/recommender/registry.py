"""Which model version serves the site: promotion, rollback and the evaluation gate.

Promotion and rollback are the same operation — make this version the active one — and both
first load the artifact, so a corrupt or missing artifact can never become the serving model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recsys.metrics.names import NDCG_AT_10
from webapp.recommender.models import ModelVersion

GATE_METRIC = NDCG_AT_10


class PromotionError(Exception):
    """The version cannot serve; the active version is unchanged."""


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reason: str


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def validate_artifact(path: Path | str) -> None:
    """Load the artifact the way a web process will; raise :class:`PromotionError` if it cannot."""
    from recsys.serving import ArtifactError, load_recommender

    try:
        load_recommender(Path(path))
    except (ArtifactError, OSError) as exc:
        raise PromotionError(f"The artifact at {path} cannot be loaded: {exc}") from exc


def promote(version: ModelVersion, *, validate: bool = True) -> ModelVersion:
    """Make ``version`` the serving model (also used for rollback to an older version).

    An artifact that does not load is flagged broken, as a web process flags one."""
    if version.broken_at is not None:
        raise PromotionError(
            f"{version.name} was flagged broken on {version.broken_at:%Y-%m-%d %H:%M} UTC "
            f"({version.broken_reason or 'its artifact could not be loaded'}); "
            "a broken artifact is never promoted again — train a new version, or restore its "
            "files and re-verify it."
        )
    if validate:
        try:
            validate_artifact(version.artifact_path)
        except PromotionError as exc:
            flag_broken(version.pk, str(exc))
            raise
    with transaction.atomic():
        # Deactivate first: the partial unique index admits one active row at any instant.
        ModelVersion.objects.select_for_update().filter(is_active=True).exclude(
            pk=version.pk
        ).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(
            is_active=True, promoted_at=timezone.now()
        )
    version.refresh_from_db()
    return version


@dataclass(frozen=True)
class Verification:
    """What re-verifying an artifact found: how many files were checked, and one line per
    problem (a file that does not match its manifest, expected vs found; or why the artifact
    cannot be read or loaded). No problem: the flag is cleared."""

    files: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def reverify(version: ModelVersion) -> Verification:
    """Check every file of the version's artifact against its manifest checksums, then load it
    as a web process would. Only when every file matches and it loads is the broken flag
    cleared (a restored artifact is the version that was evaluated); otherwise the version is
    flagged, or stays flagged, with the problems as its reason."""
    from recsys.serving import ArtifactError
    from recsys.serving.artifact import check_files

    path = Path(version.artifact_path)
    try:
        checks = check_files(path)
    except ArtifactError as exc:  # no folder, no manifest, another format
        checks, problems = [], [str(exc)]
    else:
        problems = [check.describe() for check in checks if not check.ok]
    if not problems:
        try:
            validate_artifact(path)
        except PromotionError as exc:
            problems = [str(exc)]
    if problems:
        reason = "Re-verified: " + "; ".join(problems)
        ModelVersion.objects.filter(pk=version.pk, broken_at__isnull=True).update(
            broken_at=timezone.now()
        )
        ModelVersion.objects.filter(pk=version.pk).update(broken_reason=reason[:2000])
    else:
        ModelVersion.objects.filter(pk=version.pk).update(broken_at=None, broken_reason="")
    version.refresh_from_db()
    return Verification(files=len(checks), problems=tuple(problems))


def flag_broken(version_id: int, reason: str) -> bool:
    """Record that a version's artifact cannot be loaded; True the first time it is flagged."""
    return bool(
        ModelVersion.objects.filter(pk=version_id, broken_at__isnull=True).update(
            broken_at=timezone.now(), broken_reason=reason[:2000]
        )
    )


def gate(
    candidate_metrics: dict, active: ModelVersion | None, tolerance: float | None = None
) -> GateDecision:
    """A new version may serve if its nDCG@10 is not worse than the active one's by more than the tolerance."""
    tolerance = settings.SPIKELENS_PROMOTION_TOLERANCE if tolerance is None else tolerance
    candidate = candidate_metrics.get(GATE_METRIC)
    if candidate is None:
        return GateDecision(False, f"the new version reports no {GATE_METRIC}")
    if active is None or active.ndcg is None:
        return GateDecision(True, "no active version to compare with")
    floor = active.ndcg - tolerance
    if candidate >= floor:
        return GateDecision(
            True,
            f"{GATE_METRIC} {candidate:.4f} ≥ {active.ndcg:.4f} − {tolerance:.3f} (active {active.name})",
        )
    return GateDecision(
        False,
        f"{GATE_METRIC} {candidate:.4f} < {active.ndcg:.4f} − {tolerance:.3f} (active {active.name})",
    )


def directory_size(path: Path | str) -> int:
    """Bytes on disk under ``path`` (the artifact's size shown in the admin)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    return total
