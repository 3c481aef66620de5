"""Serving from memory maps of the artifact: the same scores, bit for bit, with no private copy.

Web processes load with ``mapped=True`` (the default): the weights, the item embeddings and the
frozen serving matrices (``serving/*.npy``) are read-only maps of the artifact's files, shared
by every process on a host through the page cache. ``mapped=False`` is the load as it was
before: everything read into private memory and the frozen matrices derived at load.
"""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
import weakref
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recsys.features.schema import ItemContent, UserQuery
from recsys.models.trainer import FitConfig
from recsys.serving import ArtifactError, load_recommender, write_artifact
from recsys.serving.artifact import MANIFEST, SERVING_DIR, check_files
from recsys.serving.committee import FusedUserTowers
from tests.recsys.conftest import fit_ranker, tiny_ranker_config
from training.export import artifact_contents


def _fit(planted, **changes):
    return fit_ranker(
        planted.users,
        planted.movies,
        planted.ratings,
        replace(tiny_ranker_config(n_blocks=changes.pop("n_blocks", 1)), **changes),
        FitConfig(epochs=3, batch_size=32, seed=1),
        show_progress=False,
    )


@pytest.fixture(scope="module", params=["committee+readout", "one pair", "two blocks"])
def artifact(request, planted, fitted_ranker, tmp_path_factory):
    """A fused committee with a co-rating readout, a single pair, and towers that cannot fuse
    (two blocks: the frozen matrices then cover the whole model)."""
    fitted = {
        "committee+readout": lambda: _fit(planted, members=3, corating_gain=1.5),
        "one pair": lambda: fitted_ranker,
        "two blocks": lambda: _fit(planted, n_blocks=2),
    }[request.param]()
    contents = artifact_contents(fitted, {"ndcg@10": 0.5}, {"sha256": "abc", "n_ratings": 1})
    return write_artifact(tmp_path_factory.mktemp("mapped") / "v1", contents)


def _queries(planted) -> list[UserQuery]:
    queries = [UserQuery(favourite_genres=("Horror",)), UserQuery(age=30, gender="F")]
    for user_id in planted.users.user_id.iloc[:6]:
        mine = planted.ratings[planted.ratings.user_id == user_id]
        ratings = dict(zip(mine.movie_id, mine.rating, strict=True))
        queries.append(
            UserQuery(user_id=int(user_id), ratings=ratings, favourite_genres=("Comedy",))
        )
    return queries


def _outcome(method, *args):
    """What a call returns, or the type of what it raises (the same on both loads)."""
    try:
        return method(*args)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc)


def _assert_same_serving(mapped, eager, planted) -> None:
    queries = _queries(planted)
    np.testing.assert_array_equal(mapped.score_queries(queries), eager.score_queries(queries))
    for query in queries:
        np.testing.assert_array_equal(mapped.taste_scores(query), eager.taste_scores(query))
        np.testing.assert_array_equal(mapped.match_scores(query), eager.match_scores(query))
        np.testing.assert_array_equal(mapped.user_vector(query), eager.user_vector(query))
        assert mapped.recommend(query, k=15) == eager.recommend(query, k=15)
        assert mapped.recommend(query, k=5, offset=5, genres=("Horror",)) == eager.recommend(
            query, k=5, offset=5, genres=("Horror",)
        )
        picked = [s.movie_id for s in eager.recommend(query, k=10)]
        assert _outcome(mapped.because_of, query, picked) == _outcome(
            eager.because_of, query, picked
        )
    for movie_id in planted.movies.movie_id.iloc[:5]:
        assert mapped.similar_items(int(movie_id)) == eager.similar_items(int(movie_id))


def test_mapped_scores_equal_the_private_load_bit_for_bit(artifact, planted):
    mapped = load_recommender(artifact)
    eager = load_recommender(artifact, mapped=False)
    np.testing.assert_array_equal(mapped._index.matrix, eager._index.matrix)
    _assert_same_serving(mapped, eager, planted)


def test_movies_added_after_training_score_the_same_on_a_mapped_model(artifact, planted):
    mapped = load_recommender(artifact)
    eager = load_recommender(artifact, mapped=False)
    uploads = [
        (900_001, ItemContent(title="Fresh Fright", year=2026, genres=("Horror",))),
        (900_002, ItemContent(title="Fresh Laughs", year=2026, genres=("Comedy",))),
    ]
    for recommender in (mapped, eager):
        recommender.add_items(uploads)
    np.testing.assert_array_equal(mapped._index.matrix, eager._index.matrix)
    _assert_same_serving(mapped, eager, planted)


def _artifact_regions(artifact: Path) -> list[tuple[int, int, str]]:
    """(start, end, file) of every map of one of the artifact's files (/proc/self/maps)."""
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].strip().startswith(f"{artifact}/"):
                start, end = (int(a, 16) for a in fields[0].split("-"))
                found.append((start, end, fields[5].strip()))
    return found


def _artifact_maps(artifact: Path) -> set[str]:
    return {path for _, _, path in _artifact_regions(artifact)}


def _lies_in_a_map(array: np.ndarray, artifact: Path) -> bool:
    address = array.__array_interface__["data"][0]
    return any(start <= address < end for start, end, _ in _artifact_regions(artifact))


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_the_large_arrays_are_maps_of_the_artifact_files(artifact):
    recommender = load_recommender(artifact)
    files = {Path(p).relative_to(artifact).as_posix() for p in _artifact_maps(artifact)}
    assert "weights.pt" in files and "item_embeddings.npy" in files
    serving = {name for name in files if name.startswith(f"{SERVING_DIR}/")}
    assert serving and serving == {
        name
        for name in json.loads((artifact / MANIFEST).read_text())["files"]
        if name.startswith(f"{SERVING_DIR}/")
    }
    # The arrays a request reads lie in those maps: no private copy was made.
    read = [recommender._index.matrix]
    read += [p.detach().numpy() for p in recommender.model.parameters()]
    read += [a for f in recommender._integrate._frozen.values() for a in f.arrays().values()]
    if isinstance(recommender._embed_user, FusedUserTowers):
        read += list(recommender._embed_user.arrays().values())
    assert all(_lies_in_a_map(array, artifact) for array in read)
    assert not _lies_in_a_map(load_recommender(artifact, mapped=False)._index.matrix, artifact)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_dropping_a_mapped_model_frees_every_object_and_unmaps_its_files(artifact, planted):
    """No reference cycle keeps a model alive: the last reference going is enough (no garbage
    collection needed), and its files are unmapped then."""
    gc.collect()
    gc.disable()
    try:
        recommender = load_recommender(artifact)
        recommender.recommend(_queries(planted)[2], k=5)
        alive = [
            weakref.ref(o)
            for o in (recommender, recommender.model, recommender._index, recommender.builder)
        ]
        alive += [weakref.ref(p) for p in recommender.model.parameters()]
        assert _artifact_maps(artifact)
        del recommender
        assert [ref() for ref in alive] == [None] * len(alive)
        assert not _artifact_maps(artifact)
    finally:
        gc.enable()


@pytest.fixture
def older(artifact, tmp_path):
    """The artifact as code before the serving matrices wrote it: no serving/ folder."""
    copy = tmp_path / "older"
    shutil.copytree(artifact, copy)
    shutil.rmtree(copy / SERVING_DIR)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["files"] = {
        name: entry
        for name, entry in manifest["files"].items()
        if not name.startswith(f"{SERVING_DIR}/")
    }
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def test_an_artifact_without_serving_matrices_still_loads_with_the_same_scores(older, planted):
    mapped = load_recommender(older)
    assert mapped.model.members[0].item_tower is not None
    _assert_same_serving(mapped, load_recommender(older, mapped=False), planted)


def _rewrite(path: Path, payload: bytes, artifact: Path, sign: bool) -> None:
    path.write_bytes(payload)
    if sign:
        manifest = json.loads((artifact / MANIFEST).read_text())
        manifest["files"][path.relative_to(artifact).as_posix()] = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "bytes": len(payload),
        }
        (artifact / MANIFEST).write_text(json.dumps(manifest))


@pytest.fixture
def copy(artifact, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(artifact, copy)
    return copy


def test_a_changed_serving_matrix_fails_its_checksum(copy):
    target = sorted((copy / SERVING_DIR).glob("*.npy"))[0]
    payload = bytearray(target.read_bytes())
    payload[-1] ^= 0xFF
    _rewrite(target, bytes(payload), copy, sign=False)
    with pytest.raises(ArtifactError, match="checksum"):
        load_recommender(copy)
    bad = [c for c in check_files(copy) if not c.ok]
    assert [c.name for c in bad] == [target.relative_to(copy).as_posix()]


def test_a_signed_serving_matrix_of_the_wrong_shape_is_refused(copy):
    import io

    target = max((copy / SERVING_DIR).glob("*.npy"), key=lambda p: p.stat().st_size)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 3), dtype=np.float32))
    _rewrite(target, buffer.getvalue(), copy, sign=True)
    with pytest.raises(ArtifactError, match="serving arrays do not match"):
        load_recommender(copy)
