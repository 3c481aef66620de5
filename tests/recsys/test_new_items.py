"""Movies added after training reach the people whose taste matches them, and have
neighbours of their own genres."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.features.schema import ItemContent, UserQuery
from recsys.serving import load_recommender, write_artifact
from recsys.serving.recommender import content_neighbours
from training.export import artifact_contents

NEW_HORROR, NEW_COMEDY = 999_001, 999_002


def test_content_neighbours_are_the_closest_with_weights_summing_to_one():
    trained = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])
    everything = np.ones((1, 3), dtype=bool)
    nearest, weights = content_neighbours(np.array([[1.0, 0.0]]), trained, everything, k=2)
    assert nearest.tolist() == [[0, 2]]
    np.testing.assert_allclose(weights, [[1 / 1.8, 0.8 / 1.8]], rtol=1e-6)
    # Sharing a genre comes before closeness.
    shares = np.array([[False, True, True]])
    nearest, _ = content_neighbours(np.array([[1.0, 0.0]]), trained, shares, k=2)
    assert nearest.tolist() == [[2, 1]]
    # No positive similarity at all: equal weights, not a division by zero.
    _, weights = content_neighbours(np.array([[-1.0, 0.0]]), trained[:2], everything[:, :2], k=2)
    np.testing.assert_allclose(weights, [[0.5, 0.5]])


@pytest.fixture
def recommender(fitted_ranker, tmp_path):
    contents = artifact_contents(fitted_ranker, {}, {"sha256": "x"})
    served = load_recommender(write_artifact(tmp_path / "v1", contents))
    served.add_items(
        [
            (NEW_HORROR, ItemContent(title="Night of the upload", year=2026, genres=("Horror",))),
            (NEW_COMEDY, ItemContent(title="Upload of laughs", year=2026, genres=("Comedy",))),
        ]
    )
    return served


def planted_fan(planted, genre: str) -> UserQuery:
    user_id = next(u for u, g in planted.user_genre.items() if g == genre)
    mine = planted.ratings[planted.ratings.user_id == user_id]
    return UserQuery(user_id=user_id, ratings=dict(zip(mine.movie_id, mine.rating, strict=True)))


def rank_of(recommender, query: UserQuery, movie_id: int) -> int:
    ranked = [r.movie_id for r in recommender.recommend(query, k=recommender.n_items)]
    return ranked.index(movie_id)


def test_an_upload_reaches_the_picks_of_its_genres_fans_only(planted, recommender):
    horror_fan, comedy_fan = planted_fan(planted, "Horror"), planted_fan(planted, "Comedy")
    assert rank_of(recommender, horror_fan, NEW_HORROR) < 12
    assert rank_of(recommender, comedy_fan, NEW_COMEDY) < 12
    assert rank_of(recommender, horror_fan, NEW_COMEDY) > 20
    assert rank_of(recommender, comedy_fan, NEW_HORROR) > 20


def test_an_uploads_similar_movies_share_its_genre(planted, recommender):
    genre_of = {
        int(m): g[0] for m, g in zip(planted.movies.movie_id, planted.movies.genres, strict=True)
    }
    genre_of[NEW_HORROR], genre_of[NEW_COMEDY] = "Horror", "Comedy"
    for movie_id, genre in ((NEW_HORROR, "Horror"), (NEW_COMEDY, "Comedy")):
        similar = recommender.similar_items(movie_id, k=6)
        assert [genre_of[s.movie_id] for s in similar] == [genre] * 6


def test_training_movies_keep_their_scores(fitted_ranker, planted, recommender, tmp_path):
    """Adding movies changes nothing about how the catalogue itself ranks."""
    contents = artifact_contents(fitted_ranker, {}, {"sha256": "x"})
    plain = load_recommender(write_artifact(tmp_path / "plain", contents))
    query = planted_fan(planted, "Romance")
    before = {r.movie_id: r.score for r in plain.recommend(query, k=plain.n_items)}
    after = {r.movie_id: r.score for r in recommender.recommend(query, k=recommender.n_items)}
    assert {m: after[m] for m in before} == pytest.approx(before)
