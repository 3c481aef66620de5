"""Artifact round trip, corrupt artifacts, and what the recommender may and may not return."""

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from recsys.features.schema import ItemContent, UserQuery
from recsys.serving import ArtifactError, load_recommender, write_artifact
from recsys.serving.artifact import MANIFEST
from training.export import artifact_contents


@pytest.fixture(scope="module")
def artifact_dir(fitted_ranker, tmp_path_factory):
    directory = tmp_path_factory.mktemp("artifact") / "v1"
    contents = artifact_contents(fitted_ranker, {"ndcg@10": 0.5}, {"sha256": "abc", "n_ratings": 3})
    return write_artifact(directory, contents)


@pytest.fixture(scope="module")
def recommender(artifact_dir):
    return load_recommender(artifact_dir)


def _genre(planted, movie_id):
    return dict(zip(planted.movies.movie_id, planted.movies.genres, strict=True))[movie_id][0]


def test_round_trip_reproduces_the_trained_item_embeddings(fitted_ranker, recommender):
    np.testing.assert_allclose(recommender._index.matrix, fitted_ranker.item_matrix(), atol=1e-6)
    assert recommender.version_info["metrics"]["ndcg@10"] == 0.5
    assert recommender.version_info["data_fingerprint"]["sha256"] == "abc"
    assert recommender.version_info["created"]


def test_known_user_gets_their_planted_genre_and_never_a_rated_movie(planted, recommender):
    user_id = int(planted.users.user_id.iloc[0])
    mine = planted.ratings[planted.ratings.user_id == user_id]
    query = UserQuery(user_id=user_id, ratings=dict(zip(mine.movie_id, mine.rating, strict=True)))
    excluded = {int(planted.movies.movie_id.iloc[-1])}
    results = recommender.recommend(query, k=10, exclude=excluded)
    ids = [r.movie_id for r in results]
    assert len(ids) == 10 and not set(ids) & (set(query.ratings) | excluded)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    favourite = planted.user_genre[user_id]
    assert sum(_genre(planted, m) == favourite for m in ids) >= 6


def test_cold_start_user_who_loves_horror_gets_horror(planted, recommender):
    results = recommender.recommend(UserQuery(favourite_genres=("Horror",)), k=10)
    assert sum(_genre(planted, r.movie_id) == "Horror" for r in results) >= 6


def test_cold_start_user_with_a_few_ratings_follows_them(planted, recommender):
    romance = planted.movies[planted.movies.genres.map(lambda g: g[0] == "Romance")].movie_id[:3]
    query = UserQuery(age=30, ratings={int(m): 5 for m in romance})
    results = recommender.recommend(query, k=10)
    assert sum(_genre(planted, r.movie_id) == "Romance" for r in results) >= 5


def test_new_movie_is_embedded_from_content_and_becomes_recommendable(planted, recommender_copy):
    content = ItemContent(title="Night of the new upload", year=1997, genres=("Horror",))
    vector = recommender_copy.embed_item(content)
    assert vector.shape == (recommender_copy.model.config.embedding_width,)
    recommender_copy.add_items([(999_999, content)])
    assert recommender_copy.has_item(999_999)
    neighbours = recommender_copy.similar_items(999_999, k=5)
    assert 999_999 not in [n.movie_id for n in neighbours]
    assert sum(_genre(planted, n.movie_id) == "Horror" for n in neighbours) >= 3
    rated_new = recommender_copy.recommend(UserQuery(ratings={999_999: 5}), k=20)
    assert 999_999 not in [r.movie_id for r in rated_new]


@pytest.fixture
def recommender_copy(artifact_dir):
    return load_recommender(artifact_dir)


def test_similar_items_exclude_the_movie_and_refuse_unknown_ones(planted, recommender):
    movie = int(planted.movies.movie_id.iloc[0])
    similar = recommender.similar_items(movie, k=5)
    assert len(similar) == 5 and movie not in [s.movie_id for s in similar]
    with pytest.raises(KeyError):
        recommender.similar_items(-1)


def test_a_model_without_a_readout_names_no_liked_movie(planted, recommender):
    """A "because you liked X" reason names a readout term; a towers-only model has none."""
    movie = int(planted.movies.movie_id.iloc[0])
    assert recommender.model.corating is None
    assert recommender.because_of(UserQuery(ratings={movie: 5}), [movie + 1]) == {}


def test_concurrent_reads_agree_with_sequential_reads(planted, recommender):
    queries = [UserQuery(favourite_genres=(g,)) for g in ("Horror", "Comedy", "Romance", "Sci-Fi")]
    expected = [recommender.recommend(q, k=5) for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda q: recommender.recommend(q, k=5), queries * 5))
    assert got == expected * 5


# ------------------------------------------------------------------ corrupt artifacts


@pytest.fixture
def broken(artifact_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(artifact_dir, copy)
    return copy


def test_flipped_byte_is_detected(broken):
    weights = broken / "weights.pt"
    payload = bytearray(weights.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    weights.write_bytes(bytes(payload))
    with pytest.raises(ArtifactError, match="checksum"):
        load_recommender(broken)


def test_missing_manifest_or_file_is_detected(broken):
    (broken / "item_embeddings.npy").unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_recommender(broken)
    (broken / MANIFEST).unlink()
    with pytest.raises(ArtifactError, match="manifest"):
        load_recommender(broken)
    with pytest.raises(ArtifactError, match="not found"):
        load_recommender(broken / "nowhere")


def test_incompatible_format_is_detected(broken):
    manifest = json.loads((broken / MANIFEST).read_text())
    manifest["format"] = 999
    (broken / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="format"):
        load_recommender(broken)


def test_consistently_signed_but_mismatched_config_is_detected(broken):
    import hashlib

    config = json.loads((broken / "config.json").read_text())
    config["ranker"]["dim"] = config["ranker"]["dim"] + 1
    payload = json.dumps(config).encode()
    (broken / "config.json").write_bytes(payload)
    manifest = json.loads((broken / MANIFEST).read_text())
    manifest["files"]["config.json"] = {
        "sha256": hashlib.sha256(payload).hexdigest(),
        "bytes": len(payload),
    }
    (broken / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="does not match"):
        load_recommender(broken)


def test_writing_over_an_existing_artifact_is_refused(artifact_dir, fitted_ranker):
    with pytest.raises(ArtifactError, match="already holds"):
        write_artifact(artifact_dir, artifact_contents(fitted_ranker, {}, {}))


def test_top_k_breaks_ties_the_same_way_for_every_k():
    from recsys.serving.recommender import top_k_excluding

    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1, 0.5])
    for k in range(1, 6):
        assert top_k_excluding(scores, np.array([2]), k).tolist() == [1, 0, 3, 5, 4][:k]
