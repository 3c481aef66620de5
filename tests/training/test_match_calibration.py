"""The predicted match: monotone, true to held-out frequencies, stored with the artifact, and
absent (not wrong) for artifacts trained before it existed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.serving import ArtifactError, UserQuery, load_recommender, write_artifact
from recsys.serving.calibration import MatchCalibration, match_percent
from tests.factories.skewed_tables import train_skewed_model
from training.calibration import (
    calibration_error,
    fit_calibration,
    hold_out_for_calibration,
    isotonic_fit,
)


def test_isotonic_fit_is_monotone_and_recovers_known_probabilities():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=20_000)
    truth = 1 / (1 + np.exp(-2 * scores))
    liked = (rng.random(len(scores)) < truth).astype(float)
    calibration = fit_calibration(scores, liked)
    assert all(np.diff(calibration.probabilities) >= 0)
    grid = np.linspace(-1.5, 1.5, 13)
    np.testing.assert_allclose(
        calibration.probability(grid), 1 / (1 + np.exp(-2 * grid)), atol=0.06
    )
    # Isotonic regression keeps the overall rate exactly.
    assert calibration.probability(scores).mean() == pytest.approx(liked.mean(), abs=0.01)
    assert calibration_error(calibration, scores, liked) < 0.02


def test_pool_adjacent_violators_agrees_with_scikit_learn():
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(1)
    scores = rng.normal(size=500)
    liked = (rng.random(500) < 0.3 + 0.2 * (scores > 0)).astype(float)
    points, probabilities = isotonic_fit(scores, liked)
    reference = IsotonicRegression().fit(scores, liked).predict(np.sort(scores))
    mine = MatchCalibration(tuple(points), tuple(probabilities), 500).probability(np.sort(scores))
    # Same step values at every sample (interpolation only differs between samples).
    steps = np.unique(np.round(reference, 9))
    assert set(np.round(probabilities, 9)) == set(steps)
    assert np.all(np.diff(mine) >= -1e-12)


def test_too_few_ratings_give_no_calibration():
    assert fit_calibration(np.arange(10.0), np.ones(10)) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"scores": [1, 0], "probabilities": [0.1, 0.2], "n_ratings": 9},
        {"scores": [0, 1], "probabilities": [0.5, 0.2], "n_ratings": 9},
        {"scores": [0, 1], "probabilities": [0.5, 1.2], "n_ratings": 9},
        {"scores": [0, float("nan")], "probabilities": [0.1, 0.2], "n_ratings": 9},
        {"scores": [0], "probabilities": [], "n_ratings": 9},
        {"probabilities": [0.1], "n_ratings": 9},
    ],
)
def test_a_malformed_calibration_is_refused(bad):
    with pytest.raises(ValueError):
        MatchCalibration.from_dict(bad)


def test_shown_percentages_stay_inside_1_and_99():
    assert [match_percent(p) for p in (0.0, 0.004, 0.5, 0.921, 1.0)] == [1, 1, 50, 92, 99]


def test_hold_out_takes_a_share_of_each_persons_ratings():
    train = pd.DataFrame(
        [(u, m, 4, 0) for u in range(1, 5) for m in range(u * 10)],
        columns=["user_id", "movie_id", "rating", "timestamp"],
    )
    fit, held = hold_out_for_calibration(train, 0.1, seed=0)
    assert len(fit) + len(held) == len(train)
    assert held.groupby("user_id").size().to_dict() == {1: 1, 2: 2, 3: 3, 4: 4}
    keys = set(zip(fit.user_id, fit.movie_id, strict=True))
    assert not keys & set(zip(held.user_id, held.movie_id, strict=True))
    assert hold_out_for_calibration(train, 0.0, seed=0)[0] is train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_skewed_model(tmp_path_factory.mktemp("calibrated") / "v1")


@pytest.mark.slow
def test_training_stores_a_calibration_true_to_unseen_ratings(trained):
    config = json.loads((trained.artifact_path / "config.json").read_text())
    calibration = MatchCalibration.from_dict(config["calibration"])
    assert calibration.n_ratings == trained.metrics["match/calibration_ratings"] > 100
    assert all(np.diff(calibration.probabilities) >= 0)
    assert calibration.probabilities[-1] - calibration.probabilities[0] > 0.3  # it discriminates
    # Measured on the protocol's test split, which neither training nor calibration saw: the
    # predicted shares match the observed ones, and beat one base rate for everyone.
    assert trained.metrics["match/test_calibration_error"] < 0.08
    assert trained.metrics["match/test_brier_skill"] > 0.05


@pytest.mark.slow
def test_served_matches_follow_the_stored_calibration(trained):
    recommender = load_recommender(trained.artifact_path)
    query = UserQuery(ratings={700_021: 5, 700_023: 5})
    ranked = recommender.recommend(query, k=5)
    matches = recommender.match_probabilities(query, [r.movie_id for r in ranked] + [-1])
    assert set(matches) == {r.movie_id for r in ranked}
    assert all(0.0 <= p <= 1.0 for p in matches.values())


@pytest.mark.slow
def test_an_artifact_without_calibration_loads_and_predicts_no_match(trained, tmp_path):
    from recsys.serving import read_artifact

    contents = read_artifact(trained.artifact_path)
    contents.config = {k: v for k, v in contents.config.items() if k != "calibration"}
    old = load_recommender(write_artifact(tmp_path / "old", contents))
    assert old.calibration is None
    assert old.match_probabilities(UserQuery(), [700_001]) == {}
    contents.config["calibration"] = {"scores": [1, 0], "probabilities": [0, 1], "n_ratings": 2}
    with pytest.raises(ArtifactError, match="calibration"):
        load_recommender(write_artifact(tmp_path / "broken", contents))
