"""A trained model as one directory: everything serving needs, nothing it does not.

Layout (all written by :func:`write_artifact`, each file fsynced, the manifest last)::

    config.json          model/feature/training settings (the ranker's once) and the format version
    weights.pt           the ranker's state_dict (loaded with ``weights_only=True``)
    item_embeddings.npy  (n_items, members·dim + 1) precomputed item vectors (last column = bias)
    id_maps.json         movie ids (row order of the embeddings) and the training user ids
    features.npz         arrays the feature builder needs (genres, content rows, statistics)
    metrics.json         evaluation results of exactly this model
    fingerprint.json     what data it was trained on (hash and counts)
    serving/<name>.npy   the frozen matrices a request reads, derived from the weights once
                         (:func:`recsys.serving.recommender.frozen_arrays`); optional
    manifest.json        sha256 and size of every file above

The manifest is what makes a half-written or tampered directory detectable: a loader checks
every hash before trusting a byte. Writing the manifest last means a crash mid-write leaves a
directory without one, which the loader rejects.

Web processes read the large arrays as read-only memory maps (:func:`read_artifact`,
``mapped=True``): the weights (``torch.load(mmap=True)``), the item embeddings and the
``serving/`` matrices (``np.load(mmap_mode="r")``). Every process on a host then shares one
copy in the page cache instead of holding a private one each, and a swap to another version
maps its files and unmaps the old ones once nothing refers to them. Artifacts written before
``serving/`` existed still load: their frozen matrices are derived at load, privately.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    #: Frozen serving matrices by name (``serving/<name>.npy``); written from the weights when
    #: empty, read back when the artifact has them.
    serving_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: Whether the weights and large arrays are read-only maps of the artifact's files.
    mapped: bool = False


#: Where the frozen serving matrices live inside an artifact, one ``.npy`` file each.
SERVING_DIR = "serving"


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
    serving = contents.serving_arrays
    if not serving:
        from recsys.serving.recommender import serving_arrays  # it builds on this module

        try:
            serving = serving_arrays(contents)
        except ArtifactError:  # weights that fit no model: the loader says so, not the writer
            serving = {}
    payloads = {
        "config.json": _json_bytes({**stored_config(contents.config), "format": ARTIFACT_FORMAT}),
        "weights.pt": weights.getvalue(),
        "item_embeddings.npy": embeddings.getvalue(),
        "id_maps.json": _json_bytes(
            {"item_ids": contents.item_ids.tolist(), "user_ids": contents.user_ids.tolist()}
        ),
        "features.npz": features.getvalue(),
        "metrics.json": _json_bytes(contents.metrics),
        "fingerprint.json": _json_bytes(contents.fingerprint),
    }
    for name, array in sorted(serving.items()):
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        payloads[f"{SERVING_DIR}/{name}.npy"] = buffer.getvalue()
    if serving:
        (directory / SERVING_DIR).mkdir(exist_ok=True)
    manifest = {"format": ARTIFACT_FORMAT, "created": created, "files": {}}
    for name in payloads:
        _fsync_write(directory / name, payloads[name])
        manifest["files"][name] = {
            "sha256": hashlib.sha256(payloads[name]).hexdigest(),
            "bytes": len(payloads[name]),
        }
    _fsync_write(directory / MANIFEST, _json_bytes(manifest))
    if serving:
        fsync_path(directory / SERVING_DIR)
    fsync_path(directory)
    return directory


def fsync_path(path: Path) -> None:
    """Flush a file or a directory's entries to disk (a directory's fsync makes the names written
    into it durable, which a rename-into-place publication relies on)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading


#: In ``config.json["train"]``, in place of ``"ranker"``: the training configuration's ranker
#: settings that differ from ``config["ranker"]`` (the model's), nested as they are. They
#: differ where the fit resolved a setting, e.g. ``corating_items`` 0 ("the whole catalogue")
#: became the catalogue's size; everything else is stored once, under ``"ranker"``.
RANKER_DIFFERENCES = "ranker_differences"


def stored_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` as ``config.json`` holds it: the ranker's settings once, under ``"ranker"``
    (what serving builds the model from), and the training configuration under ``"train"``
    with only where its ranker differs (:data:`RANKER_DIFFERENCES`) instead of a second copy.
    Two copies of one fact can disagree; one cannot."""
    train = config.get("train")
    if not (isinstance(train, Mapping) and "ranker" in train and "ranker" in config):
        return dict(config)
    rest = {k: v for k, v in train.items() if k != "ranker"}
    model, requested = _plain(config["ranker"]), _plain(train["ranker"])
    return {**config, "train": {**rest, RANKER_DIFFERENCES: _differences(model, requested)}}


def loaded_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`stored_config`: the training configuration whole again, its
    ``"ranker"`` the model's settings with the stored differences applied (keys sorted, as
    ``config.json`` holds them, so it is the dict an artifact that stored both copies loads as).
    Those artifacts, written before the copy was dropped, load unchanged."""
    train = config.get("train")
    if not isinstance(train, Mapping) or RANKER_DIFFERENCES not in train:
        return dict(config)
    rest = {k: v for k, v in train.items() if k != RANKER_DIFFERENCES}
    ranker = _applied(config["ranker"], train[RANKER_DIFFERENCES])
    return {**config, "train": dict(sorted({**rest, "ranker": ranker}.items()))}


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists), so equal settings compare equal."""
    return json.loads(json.dumps(value, default=_json_default))


def _differences(base: Any, other: Any) -> dict[str, Any]:
    """The entries of mapping ``other`` that differ from ``base``, recursing into mappings both
    have (a setting present in only one of them is a difference too, given as ``other``'s)."""
    out = {}
    for key in sorted(set(base) | set(other)):
        a, b = base.get(key, _MISSING), other.get(key, _MISSING)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            nested = _differences(a, b)
            if nested:
                out[key] = nested
        elif b is _MISSING:
            raise ValueError(f"the training ranker settings lack {key!r}; store them whole")
        elif a != b:
            out[key] = b
    return out


def _applied(base: Mapping[str, Any], differences: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in differences.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _applied(out[key], value)
        else:
            out[key] = value
    return out


_MISSING = object()


def read_fingerprint(directory: Path) -> dict[str, Any]:
    """What the artifact in ``directory`` was trained on (hash and counts), as training computed
    it once (``training.pipeline.data_fingerprint``) and stored it: a registry reads it here
    rather than hashing the same tables again."""
    return _read_json(Path(directory), "fingerprint.json")


def read_training_config(directory: Path) -> dict[str, Any]:
    """The configuration the artifact in ``directory`` was trained with, whole (its ranker
    settings given back, as :func:`loaded_config` does), read from ``config.json`` alone: the
    artifact is its one copy, so a site shows this rather than keeping a second one that could
    disagree. Raises :class:`ArtifactError` when the file is missing, unreadable or has none."""
    directory = Path(directory)
    config = _read_json(directory, "config.json")
    try:
        train = loaded_config(config).get("train") if isinstance(config, Mapping) else None
    except (KeyError, TypeError, AttributeError) as exc:  # differences without the ranker's
        raise ArtifactError(f"{directory / 'config.json'} is inconsistent: {exc!r}") from exc
    if not isinstance(train, Mapping):
        raise ArtifactError(f"{directory / 'config.json'} holds no training configuration")
    return dict(train)


def _read_json(directory: Path, name: str) -> Any:
    try:
        return json.loads((directory / name).read_bytes())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{directory / name} is unreadable: {exc}") from exc


@dataclass(frozen=True)
class FileCheck:
    """One file of an artifact against its manifest entry: what was expected, what was found
    (``found_bytes`` is None when the file is missing)."""

    name: str
    expected_sha256: str
    expected_bytes: int
    found_sha256: str | None = None
    found_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return self.found_bytes == self.expected_bytes and self.found_sha256 == self.expected_sha256

    def describe(self) -> str:
        """One line for a person: which file, expected vs found."""
        expected = f"{self.expected_bytes:,} bytes, sha256 {self.expected_sha256[:16]}…"
        if self.found_bytes is None:
            return f"{self.name} is missing (expected {expected})"
        found = f"{self.found_bytes:,} bytes, sha256 {(self.found_sha256 or '')[:16]}…"
        return f"{self.name}: expected {expected}; found {found}"


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of an artifact of this code's format (the files are not checked)."""
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
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise ArtifactError(f"{directory}: manifest lists no files")
    for name in FILES:
        if name not in listed:
            raise ArtifactError(f"{directory}: manifest does not list {name}")
    for name in listed:
        if not _inside(directory, name):
            raise ArtifactError(f"{directory}: manifest lists a file outside it: {name!r}")
    return manifest


def _inside(directory: Path, name: str) -> bool:
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts and name not in ("", MANIFEST)


def _file_digest(path: Path) -> tuple[str, int]:
    """sha256 and size, read a megabyte at a time (a whole weights file is never in memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_files(directory: Path, manifest: dict[str, Any] | None = None) -> list[FileCheck]:
    """Every file the manifest lists, hashed and compared with its entry (all of them: a
    person restoring a damaged artifact wants every mismatch, not the first)."""
    directory = Path(directory)
    manifest = read_manifest(directory) if manifest is None else manifest
    checks = []
    for name, entry in manifest["files"].items():
        expected = {
            "name": name,
            "expected_sha256": entry["sha256"],
            "expected_bytes": entry["bytes"],
        }
        path = directory / name
        if not path.is_file():
            checks.append(FileCheck(**expected))
            continue
        sha256, size = _file_digest(path)
        checks.append(FileCheck(**expected, found_sha256=sha256, found_bytes=size))
    return checks


def verify_manifest(directory: Path) -> dict[str, Any]:
    """Check presence, size and hash of every file; returns the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    for check in check_files(directory, manifest):
        if check.found_bytes is None:
            raise ArtifactError(f"{directory}: {check.name} is missing")
        if not check.ok:
            raise ArtifactError(
                f"{directory}: {check.name} does not match its checksum (corrupt or edited): "
                f"{check.describe()}"
            )
    return manifest


def read_artifact(directory: Path, mapped: bool = False) -> ArtifactContents:
    """Verify then load; every inconsistency raises :class:`ArtifactError`.

    ``mapped`` reads the weights, the item embeddings and the frozen serving matrices as
    read-only memory maps of the files (see the module's docstring); otherwise everything is
    read into private memory and the serving matrices are left to be derived."""
    directory = Path(directory)
    manifest = verify_manifest(directory)
    config = loaded_config(_read_json(directory, "config.json"))
    id_maps = _read_json(directory, "id_maps.json")
    mode = "r" if mapped else None
    try:
        state_dict = torch.load(
            directory / "weights.pt", map_location="cpu", weights_only=True, mmap=mapped
        )
        embeddings = _array(directory / "item_embeddings.npy", mode)
        with np.load(directory / "features.npz", allow_pickle=False) as archive:
            feature_arrays = {name: archive[name] for name in archive.files}
        serving = {
            name[len(SERVING_DIR) + 1 : -len(".npy")]: _array(directory / name, mode)
            for name in manifest["files"]
            if mapped and name.startswith(f"{SERVING_DIR}/") and name.endswith(".npy")
        }
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
        item_embeddings=np.asarray(embeddings, dtype=np.float32),
        item_ids=item_ids,
        user_ids=np.asarray(id_maps.get("user_ids", []), dtype=np.int64),
        feature_arrays=feature_arrays,
        metrics=_read_json(directory, "metrics.json"),
        fingerprint=_read_json(directory, "fingerprint.json"),
        created=str(manifest.get("created", "")),
        serving_arrays=serving,
        mapped=mapped,
    )


def _array(path: Path, mmap_mode: str | None) -> np.ndarray:
    """A ``.npy`` file's array: a read-only map of the file (as a plain ndarray view, which
    keeps the map alive) for ``mmap_mode="r"``, else a private copy."""
    return np.asarray(np.load(path, allow_pickle=False, mmap_mode=mmap_mode))
