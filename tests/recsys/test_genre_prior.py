"""Stated favourite genres lead the picks of a newcomer and give way to ratings (on a small model
trained on popularity-skewed tables; the real model's journeys are tests/recsys/
test_picks_that_listen.py, the arithmetic tests/recsys/test_taste.py)."""

from __future__ import annotations

import pytest

from recsys.serving import UserQuery, load_recommender
from tests.factories.skewed_tables import (
    FIRST_MOVIE_ID,
    MAINSTREAM,
    N_BLOCKBUSTERS,
    skewed_tables,
    train_skewed_model,
)

WANTED = ("Sci-Fi", "Thriller")


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
    """The situation the genre prior is for: with nothing known, popularity wins."""
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
