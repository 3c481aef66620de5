"""Stated favourite genres steer the ranking: strongly for newcomers, fading with ratings."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.data.genres import GENRES
from recsys.features.items import genre_vector
from recsys.serving import UserQuery, load_recommender
from recsys.serving.steering import (
    NEWCOMER_BONUS,
    genre_bonus,
    percentile_ranks,
    steer_to_genres,
)
from tests.factories.skewed_tables import (
    FIRST_MOVIE_ID,
    MAINSTREAM,
    N_BLOCKBUSTERS,
    skewed_tables,
    train_skewed_model,
)

WANTED = ("Sci-Fi", "Thriller")


def test_percentile_ranks_follow_the_scores():
    ranks = percentile_ranks(np.array([0.3, -2.0, 9.0, 0.1]))
    np.testing.assert_allclose(ranks, [2 / 3, 0.0, 1.0, 1 / 3])


def test_bonus_is_full_for_a_newcomer_and_halves_after_ten_ratings():
    assert genre_bonus(0) == NEWCOMER_BONUS
    assert genre_bonus(10) == pytest.approx(NEWCOMER_BONUS / 2)
    assert genre_bonus(100) < genre_bonus(10) < genre_bonus(1) < genre_bonus(0)


def test_without_favourites_scores_are_untouched():
    scores = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert steer_to_genres(scores, np.zeros((3, len(GENRES))), (), 0) is scores


def test_a_newcomer_sees_in_genre_movies_in_the_models_order_first():
    genres = np.stack([genre_vector(g) for g in (["Comedy"], ["Sci-Fi"], ["Drama"], ["Thriller"])])
    scores = np.array([5.0, 1.0, 4.0, 2.0])
    order = np.argsort(-steer_to_genres(scores, genres, WANTED, n_ratings=0), kind="stable")
    # Thriller (model's 3rd) first; Sci-Fi, the model's very last, climbs past Drama but not
    # past the model's favourite: only in-genre movies in its top three quarters beat everything.
    assert list(order) == [3, 0, 1, 2]
    # A heavy rater's own ranking wins back.
    order = np.argsort(-steer_to_genres(scores, genres, WANTED, n_ratings=200), kind="stable")
    assert list(order) == [0, 2, 3, 1]


@pytest.fixture(scope="module")
def skewed():
    return skewed_tables()


@pytest.fixture(scope="module")
def recommender(skewed, tmp_path_factory):
    result = train_skewed_model(tmp_path_factory.mktemp("skewed") / "v1", skewed)
    return load_recommender(result.artifact_path)


def in_wanted(skewed, results) -> int:
    return sum(bool(set(skewed.genres_of[r.movie_id]) & set(WANTED)) for r in results)


@pytest.mark.slow
def test_unsteered_the_model_hands_a_stranger_the_blockbusters(skewed, recommender):
    """The situation steering is for: with nothing known, popularity wins."""
    results = recommender.recommend(UserQuery(), k=12)
    assert sum(skewed.genres_of[r.movie_id][0] in MAINSTREAM for r in results) >= 10


@pytest.mark.slow
def test_a_genre_only_newcomer_gets_mostly_their_genres(skewed, recommender):
    results = recommender.recommend(UserQuery(favourite_genres=WANTED), k=12)
    assert in_wanted(skewed, results) >= 9


@pytest.mark.slow
def test_ratings_take_over_from_stated_genres(skewed, recommender):
    """Someone who says Sci-Fi but has rated forty comedies and dramas highly gets them too."""
    mainstream = [
        m
        for m, g in skewed.genres_of.items()
        if g[0] in MAINSTREAM and m >= FIRST_MOVIE_ID + N_BLOCKBUSTERS
    ]
    ratings = {int(m): 5 for m in mainstream[:40]}
    cold = in_wanted(skewed, recommender.recommend(UserQuery(favourite_genres=WANTED), k=12))
    warm = in_wanted(
        skewed, recommender.recommend(UserQuery(favourite_genres=WANTED, ratings=ratings), k=12)
    )
    assert warm < cold
