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

from webapp.recommender.models import ModelVersion

GATE_METRIC = "ndcg@10"


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
    """Make ``version`` the serving model (also used for rollback to an older version)."""
    if version.broken_at is not None:
        raise PromotionError(
            f"{version.name} was flagged broken on {version.broken_at:%Y-%m-%d %H:%M} UTC "
            f"({version.broken_reason or 'its artifact could not be loaded'}); "
            "a broken artifact is never promoted again — train a new version."
        )
    if validate:
        validate_artifact(version.artifact_path)
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
