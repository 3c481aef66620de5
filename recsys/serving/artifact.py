"""A trained model as one directory: everything serving needs, nothing it does not.

Layout (all written by :func:`write_artifact`, each file fsynced, the manifest last)::

    config.json          model/feature/training settings and the artifact format version
    weights.pt           the ranker's state_dict (loaded with ``weights_only=True``)
    item_embeddings.npy  (n_items, members·dim + 1) precomputed item vectors (last column = bias)
    id_maps.json         movie ids (row order of the embeddings) and the training user ids
    features.npz         arrays the feature builder needs (genres, content rows, statistics)
    metrics.json         evaluation results of exactly this model
    fingerprint.json     what data it was trained on (hash and counts)
    manifest.json        sha256 and size of every file above

The manifest is what makes a half-written or tampered directory detectable: a loader checks
every hash before trusting a byte. Writing the manifest last means a crash mid-write leaves a
directory without one, which the loader rejects.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

ARTIFACT_FORMAT = 1
MANIFEST = "manifest.json"
FILES = (
    "config.json",
    "weights.pt",
    "item_embeddings.npy",
    "id_maps.json",
    "features.npz",
    "metrics.json",
    "fingerprint.json",
)


class ArtifactError(Exception):
    """The artifact directory is missing, incomplete, corrupt or from an incompatible format."""


@dataclass
class ArtifactContents:
    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    item_embeddings: np.ndarray
    item_ids: np.ndarray
    user_ids: np.ndarray
    feature_arrays: dict[str, np.ndarray]
    metrics: dict[str, Any]
    fingerprint: dict[str, Any]
    created: str = ""


# --------------------------------------------------------------------------- writing


def _fsync_write(path: Path, payload: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_artifact(directory: Path, contents: ArtifactContents) -> Path:
    """Write every file into ``directory`` (created if needed; must not hold an artifact yet).

    Publishing atomically (temp dir + rename) is the caller's job; this only guarantees that
    each file is on disk before the manifest that vouches for it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / MANIFEST).exists():
        raise ArtifactError(f"{directory} already holds an artifact; refusing to overwrite it")
    created = contents.created or datetime.now(UTC).isoformat(timespec="seconds")
    weights = io.BytesIO()
    torch.save(contents.state_dict, weights)
    embeddings = io.BytesIO()
    np.save(embeddings, np.ascontiguousarray(contents.item_embeddings, dtype=np.float32))
    features = io.BytesIO()
    np.savez(features, **contents.feature_arrays)
    payloads = {
        "config.json": _json_bytes({**contents.config, "format": ARTIFACT_FORMAT}),
        "weights.pt": weights.getvalue(),
        "item_embeddings.npy": embeddings.getvalue(),
        "id_maps.json": _json_bytes(
            {"item_ids": contents.item_ids.tolist(), "user_ids": contents.user_ids.tolist()}
        ),
        "features.npz": features.getvalue(),
        "metrics.json": _json_bytes(contents.metrics),
        "fingerprint.json": _json_bytes(contents.fingerprint),
    }
    manifest = {"format": ARTIFACT_FORMAT, "created": created, "files": {}}
    for name in FILES:
        _fsync_write(directory / name, payloads[name])
        manifest["files"][name] = {
            "sha256": hashlib.sha256(payloads[name]).hexdigest(),
            "bytes": len(payloads[name]),
        }
    _fsync_write(directory / MANIFEST, _json_bytes(manifest))
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return directory


# --------------------------------------------------------------------------- reading


def _read_json(directory: Path, name: str) -> Any:
    try:
        return json.loads((directory / name).read_bytes())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{directory / name} is unreadable: {exc}") from exc


def verify_manifest(directory: Path) -> dict[str, Any]:
    """Check presence, size and hash of every file; returns the manifest."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"artifact directory not found: {directory}")
    if not (directory / MANIFEST).is_file():
        raise ArtifactError(
            f"{directory} has no {MANIFEST}: not an artifact, or its writing was interrupted"
        )
    manifest = _read_json(directory, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != ARTIFACT_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ArtifactError(
            f"{directory} has artifact format {found!r}; this code reads format {ARTIFACT_FORMAT}"
        )
    listed = manifest.get("files", {})
    for name in FILES:
        path = directory / name
        if name not in listed:
            raise ArtifactError(f"{directory}: manifest does not list {name}")
        if not path.is_file():
            raise ArtifactError(f"{directory}: {name} is missing")
        payload = path.read_bytes()
        if len(payload) != listed[name]["bytes"] or (
            hashlib.sha256(payload).hexdigest() != listed[name]["sha256"]
        ):
            raise ArtifactError(
                f"{directory}: {name} does not match its checksum (corrupt or edited)"
            )
    return manifest


def read_artifact(directory: Path) -> ArtifactContents:
    """Verify then load; every inconsistency raises :class:`ArtifactError`."""
    directory = Path(directory)
    manifest = verify_manifest(directory)
    config = _read_json(directory, "config.json")
    id_maps = _read_json(directory, "id_maps.json")
    try:
        state_dict = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
        embeddings = np.load(directory / "item_embeddings.npy", allow_pickle=False)
        with np.load(directory / "features.npz", allow_pickle=False) as archive:
            feature_arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:  # torch/numpy raise many types for a bad file
        raise ArtifactError(f"{directory}: cannot decode model files: {exc}") from exc
    item_ids = np.asarray(id_maps.get("item_ids", []), dtype=np.int64)
    if embeddings.ndim != 2 or embeddings.shape[0] != len(item_ids):
        raise ArtifactError(
            f"{directory}: {embeddings.shape[0] if embeddings.ndim else 0} item embeddings "
            f"for {len(item_ids)} movie ids"
        )
    return ArtifactContents(
        config=config,
        state_dict=state_dict,
        item_embeddings=embeddings.astype(np.float32),
        item_ids=item_ids,
        user_ids=np.asarray(id_maps.get("user_ids", []), dtype=np.int64),
        feature_arrays=feature_arrays,
        metrics=_read_json(directory, "metrics.json"),
        fingerprint=_read_json(directory, "fingerprint.json"),
        created=str(manifest.get("created", "")),
    )
