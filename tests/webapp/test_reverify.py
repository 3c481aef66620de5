"""Re-verifying a restored artifact from the admin: every file against its manifest checksums.

A corrupt artifact is flagged and refused; restored byte for byte and re-verified, it is
promotable again; still corrupt, it stays flagged with the file named (expected vs found).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.factories.site_data import populate_site
from webapp.recommender import registry
from webapp.recommender.models import ModelVersion
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.execution import execute_training_run
from webapp.recommender.runs.lifecycle import TrainingOptions

pytestmark = pytest.mark.slow

CHANGELIST = "admin:recommender_modelversion_changelist"
REVERIFY = "admin:recommender_modelversion_reverify"


@pytest.fixture
def versions(db, settings, tmp_path):
    """An active version and a newer one kept for the admin to decide (small models)."""
    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    populate_site()
    made = []
    for promotion in ("always", "never"):
        run = lifecycle.open_run(TrainingOptions(promotion=promotion))
        made.append(execute_training_run(run.pk).model_version)
    return made


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("ops", "ops@example.com", "a-long-password")


def replace_bytes(path: Path, payload: bytes) -> None:
    """Write a file the way a restore does, as a new file renamed into place."""
    spare = path.with_name(f".{path.name}.new")
    spare.write_bytes(payload)
    os.replace(spare, path)


def corrupt(path: Path) -> bytes:
    """Flip one byte in the middle; returns the original bytes (the backup)."""
    original = path.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    replace_bytes(path, bytes(damaged))
    return original


def reverify(client, version) -> str:
    """Confirm and carry out the admin action; the page it lands on."""
    chosen = {"action": "reverify_artifacts", "_selected_action": [version.pk]}
    confirm = client.post(reverse(CHANGELIST), chosen)
    assert confirm.status_code == 200 and "Re-verify" in confirm.content.decode()
    done = client.post(reverse(REVERIFY), {"ids": str(version.pk), "post": "yes"}, follow=True)
    assert done.status_code == 200
    return done.content.decode()


def promote_in_admin(client, version) -> str:
    chosen = {"action": "promote_selected", "_selected_action": [version.pk], "post": "yes"}
    return client.post(reverse(CHANGELIST), chosen, follow=True).content.decode()


def test_a_restored_artifact_is_promotable_again_after_reverifying(versions, staff, client):
    active, candidate = versions
    weights = Path(candidate.artifact_path) / "weights.pt"
    backup = corrupt(weights)
    client.force_login(staff)

    # Corrupt: promotion refuses it and flags it.
    assert "Refused" in promote_in_admin(client, candidate)
    candidate.refresh_from_db()
    assert candidate.broken_at is not None and "weights.pt" in candidate.broken_reason
    assert registry.active_version() == active

    # Re-verifying names the file, expected vs found, and keeps the flag.
    page = reverify(client, candidate)
    candidate.refresh_from_db()
    assert "is still broken" in page and "weights.pt: expected" in page and "found" in page
    assert candidate.broken_at is not None
    assert candidate.broken_reason.startswith("Re-verified: weights.pt: expected")
    with pytest.raises(registry.PromotionError, match="never promoted again"):
        registry.promote(candidate)

    # Restored byte for byte: re-verified, the flag goes and promotion works as for any version.
    replace_bytes(weights, backup)
    page = reverify(client, candidate)
    candidate.refresh_from_db()
    assert "files match their checksums" in page and "the broken flag is cleared" in page
    assert candidate.broken_at is None and candidate.broken_reason == ""
    assert "Promoted" in promote_in_admin(client, candidate)
    assert registry.active_version() == candidate

    # Every re-verification is in the version's admin history.
    logged = LogEntry.objects.filter(object_id=str(candidate.pk)).values_list(
        "change_message", flat=True
    )
    assert sum("re-verified" in m or "still broken" in m for m in logged) == 2


def test_every_file_that_differs_is_named_and_the_flag_stays(versions, staff, client):
    _, candidate = versions
    folder = Path(candidate.artifact_path)
    corrupt(folder / "item_embeddings.npy")
    (folder / "metrics.json").unlink()
    client.force_login(staff)
    page = reverify(client, candidate)
    candidate.refresh_from_db()
    assert "is broken and is now flagged" in page
    reason = candidate.broken_reason
    assert "item_embeddings.npy: expected" in reason and "metrics.json is missing" in reason
    assert candidate.broken_at is not None
    assert "Refused" in promote_in_admin(client, candidate)
    assert not ModelVersion.objects.get(pk=candidate.pk).is_active


def test_a_sound_artifact_reverifies_without_a_flag(versions, staff, client):
    active, _ = versions
    client.force_login(staff)
    page = reverify(client, active)
    active.refresh_from_db()
    assert "files match their checksums" in page and "flag is cleared" not in page
    assert active.broken_at is None and active.is_active


def test_only_staff_with_the_change_permission_may_reverify(versions, client):
    _, candidate = versions
    corrupt(Path(candidate.artifact_path) / "weights.pt")
    registry.flag_broken(candidate.pk, "restored from a backup")
    posted = {"ids": str(candidate.pk), "post": "yes"}

    client.force_login(User.objects.create_user("someone", password="a-long-password"))
    assert client.get(reverse(REVERIFY), {"ids": candidate.pk}).status_code == 403
    assert client.post(reverse(REVERIFY), posted).status_code == 403

    viewer = User.objects.create_user("viewer", password="a-long-password", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(viewer)
    assert client.post(reverse(REVERIFY), posted).status_code == 403

    client.logout()
    response = client.post(reverse(REVERIFY), posted)
    assert response.status_code == 302 and "login" in response["Location"]
    candidate.refresh_from_db()
    assert candidate.broken_reason == "restored from a backup"  # nobody re-verified it


def test_the_confirmation_changes_nothing(versions, staff, client):
    _, candidate = versions
    registry.flag_broken(candidate.pk, "volume not mounted yet")
    client.force_login(staff)
    response = client.get(reverse(REVERIFY), {"ids": candidate.pk})
    assert response.status_code == 200 and "Yes, re-verify" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.broken_reason == "volume not mounted yet"
