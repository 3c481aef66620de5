"""The predicted match: monotone, true to held-out frequencies, stored with the artifact, and
absent (not wrong) for artifacts trained before it existed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recsys.serving import ArtifactError, UserQuery, load_recommender, write_artifact
from recsys.serving.calibration import MatchCalibration, match_percent
from tests.factories.skewed_tables import train_skewed_model
from training.calibration import (
    brier_skill,
    calibration_error,
    fit_calibration,
    isotonic_fit,
    out_of_fold,
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
    assert calibration_error(calibration.probability(scores), liked) < 0.02


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


def test_out_of_fold_matches_come_from_a_map_fitted_on_the_other_people():
    rng = np.random.default_rng(3)
    people = np.repeat(np.arange(200), 20)
    scores = rng.normal(size=len(people))
    liked = (rng.random(len(people)) < 1 / (1 + np.exp(-2 * scores))).astype(float)
    folds = out_of_fold(scores, liked, people, seed=0)
    # Refit by hand: each person's predictions come from the half they are not in.
    first = np.random.default_rng(0).permutation(np.unique(people))[:100]
    in_first = np.isin(people, first)
    from_second = fit_calibration(scores[~in_first], liked[~in_first])
    np.testing.assert_allclose(folds.predicted[in_first], from_second.probability(scores[in_first]))
    assert np.all(folds.base_rate[in_first] == liked[~in_first].mean())
    # Out of fold, a true relation still calibrates and beats one rate for everyone.
    assert calibration_error(folds.predicted, liked) < 0.05
    assert brier_skill(folds.predicted, liked, folds.base_rate) > 0.1
    # Pure noise gives no skill out of fold (in-sample isotonic fits would claim some).
    noise = (rng.random(len(people)) < 0.5).astype(float)
    noisy = out_of_fold(scores, noise, people, seed=0)
    assert brier_skill(noisy.predicted, noise, noisy.base_rate) < 0.01


def test_too_few_people_give_no_out_of_fold_estimate():
    assert out_of_fold(np.arange(60.0), np.ones(60), np.zeros(60, dtype=int), seed=0) is None


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
    # Measured out of fold on the protocol's test split, which training never saw: the predicted
    # shares match the observed ones, and beat one base rate for everyone.
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
