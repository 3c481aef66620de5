"""Fitting the predicted match (:mod:`recsys.serving.calibration`) on ratings the model never saw.

The served model is trained on the protocol's train split only, so its test split is already a
held-out sample of exactly what serving does: the model scores each test (person, movie) pair
from the person's training ratings, and an isotonic regression maps score to the share of those
ratings that were ≥ 4 stars. Calibrating there costs the model no training ratings (holding a
share of them out instead lowered the ranking it serves) and does not touch the ranking, whose
metrics come from the same split. How true the match is gets measured out of fold: the people
of the test split are halved, a map fitted on one half is scored on the other and vice versa.

Isotonic rather than Platt (a sigmoid) because nothing says the score's relation to liking is
logistic; it only has to be monotone, and a few thousand held-out ratings are plenty to fit it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.constants import LIKED_STARS, MOVIE_ID, RATING, USER_ID
from recsys.features.schema import UserQuery
from recsys.features.users import query_from_row
from recsys.metrics.names import (
    MATCH_CALIBRATION_RATINGS,
    MATCH_TEST_AUC,
    MATCH_TEST_BRIER_SKILL,
    MATCH_TEST_CALIBRATION_ERROR,
)
from recsys.serving.calibration import MatchCalibration
from recsys.serving.recommender import Recommender

#: Fewer held-out ratings than this give no calibration (the site then shows no match).
MIN_CALIBRATION_RATINGS = 50


#: Each step of the fitted map rests on at least this share of the held-out ratings (and on
#: :data:`MIN_STEP_RATINGS`), so a handful of ratings at the extremes cannot claim 0% or 100%.
MIN_STEP_SHARE = 0.05
MIN_STEP_RATINGS = 20


def isotonic_fit(
    scores: np.ndarray, labels: np.ndarray, min_step: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators: the non-decreasing step function closest (least squares) to
    ``labels`` ordered by ``scores``, each step then pooled with its neighbour until it holds
    ``min_step`` samples (pooling adjacent steps of a monotone sequence keeps it monotone).
    Returns (block mean score, block mean label) per step."""
    order = np.argsort(scores, kind="stable")
    unique, inverse = np.unique(np.asarray(scores, dtype=np.float64)[order], return_inverse=True)
    weight = np.bincount(inverse).astype(np.float64)
    total = np.bincount(inverse, weights=np.asarray(labels, dtype=np.float64)[order])
    # Each block: [sum of labels, weight, sum of scores·weight]; merged while out of order.
    blocks: list[list[float]] = []
    for value, w, s in zip(total, weight, unique * weight, strict=True):
        blocks.append([value, w, s])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    pooled: list[list[float]] = []
    for block in blocks:
        if pooled and pooled[-1][1] < min_step:
            pooled[-1] = [a + b for a, b in zip(pooled[-1], block, strict=True)]
        else:
            pooled.append(block)
    if len(pooled) > 1 and pooled[-1][1] < min_step:
        last = pooled.pop()
        pooled[-1] = [a + b for a, b in zip(pooled[-1], last, strict=True)]
    sums, weights, score_sums = (np.array(column) for column in zip(*pooled, strict=True))
    return score_sums / weights, sums / weights


def fit_calibration(scores: np.ndarray, liked: np.ndarray) -> MatchCalibration | None:
    """The match calibration of held-out taste ``scores`` with 0/1 ``liked`` outcomes, if
    enough."""
    if len(scores) < MIN_CALIBRATION_RATINGS:
        return None
    min_step = max(MIN_STEP_RATINGS, int(MIN_STEP_SHARE * len(scores)))
    points, probabilities = isotonic_fit(scores, liked, min_step)
    return MatchCalibration(
        scores=tuple(float(x) for x in points),
        probabilities=tuple(float(p) for p in probabilities),
        n_ratings=len(scores),
        on_taste_scores=True,
    )


def held_out_scores(
    recommender: Recommender,
    users: pd.DataFrame,
    fitting: pd.DataFrame,
    held_out: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(taste score, rated ≥ 4, person id) of every held-out rating of a movie the model
    knows, each person's score computed as the site computes it (the served recommender's
    :meth:`~recsys.serving.recommender.Recommender.match_scores`) from their profile and
    their ``fitting`` ratings with their stars, never from the held-out ones."""
    profiles = users.set_index(USER_ID) if len(users) else users
    known_people = set(profiles.index) if len(users) else set()
    by_person = {int(u): rows for u, rows in fitting.groupby(USER_ID)}
    scores, liked, people = [], [], []
    for person, rows in held_out.groupby(USER_ID):
        person = int(person)
        train = by_person.get(person)
        ratings = (
            dict(zip(train[MOVIE_ID].astype(int), train[RATING].astype(float), strict=True))
            if train is not None
            else {}
        )
        query = (
            query_from_row(profiles.loc[person], person, ratings)
            if person in known_people
            else UserQuery(user_id=person, ratings=ratings)
        )
        movies = rows[MOVIE_ID].to_numpy(dtype=np.int64)
        known = np.array([recommender.has_item(int(m)) for m in movies], dtype=bool)
        if not known.any():
            continue
        taste = recommender.match_scores(query)
        positions = recommender.positions_of(movies[known])
        scores.append(taste[positions])
        liked.append(rows[RATING].to_numpy()[known] >= LIKED_STARS)
        people.append(np.full(int(known.sum()), person, dtype=np.int64))
    if not scores:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(scores).astype(np.float64),
        np.concatenate(liked).astype(np.float64),
        np.concatenate(people),
    )


def calibration_error(predicted: np.ndarray, liked: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the rating-weighted mean gap between predicted and observed
    shares of likes over ``bins`` equal-count bins of the predictions."""
    if len(predicted) == 0:
        return float("nan")
    order = np.argsort(predicted, kind="stable")
    gaps = [
        len(chunk) * abs(predicted[chunk].mean() - liked[chunk].mean())
        for chunk in np.array_split(order, min(bins, len(order)))
        if len(chunk)
    ]
    return float(sum(gaps) / len(predicted))


def brier_skill(predicted: np.ndarray, liked: np.ndarray, base_rate: np.ndarray | float) -> float:
    """1 − Brier score / Brier score of always predicting ``base_rate``: above 0 when the match
    tells people apart better than one number for everyone."""
    if len(predicted) == 0:
        return float("nan")
    brier = float(np.mean((predicted - liked) ** 2))
    base = float(np.mean((base_rate - liked) ** 2))
    return 1.0 - brier / base if base > 0 else float("nan")


@dataclass(frozen=True)
class OutOfFold:
    """Each rating's predicted match from a map fitted without its person, and the like rate of
    that map's half (the one-number-for-everyone baseline of the same fit)."""

    predicted: np.ndarray
    base_rate: np.ndarray


def out_of_fold(
    scores: np.ndarray, liked: np.ndarray, people: np.ndarray, seed: int
) -> OutOfFold | None:
    """Two-fold cross-fitting by person (a person's ratings never sit on both sides); None when
    either half is too small to fit a map."""
    unique = np.unique(people)
    first = np.random.default_rng(seed).permutation(unique)[: len(unique) // 2]
    in_first = np.isin(people, first)
    predicted = np.empty(len(scores), dtype=np.float64)
    base_rate = np.empty(len(scores), dtype=np.float64)
    for fit_side in (in_first, ~in_first):
        calibration = fit_calibration(scores[fit_side], liked[fit_side])
        if calibration is None:
            return None
        predicted[~fit_side] = calibration.probability(scores[~fit_side])
        base_rate[~fit_side] = float(liked[fit_side].mean())
    return OutOfFold(predicted=predicted, base_rate=base_rate)


def calibrate_on_held_out(
    recommender: Recommender,
    users: pd.DataFrame,
    fitting: pd.DataFrame,
    held_out: pd.DataFrame,
    seed: int,
) -> tuple[MatchCalibration | None, dict[str, float]]:
    """The match calibration fitted on every held-out rating, and its out-of-fold quality
    (``match/*`` metrics; empty when there are too few ratings)."""
    scores, liked, people = held_out_scores(recommender, users, fitting, held_out)
    calibration = fit_calibration(scores, liked)
    if calibration is None:
        return None, {}
    metrics = {MATCH_CALIBRATION_RATINGS: float(calibration.n_ratings)}
    folds = out_of_fold(scores, liked, people, seed)
    if folds is not None:
        metrics[MATCH_TEST_CALIBRATION_ERROR] = calibration_error(folds.predicted, liked)
        metrics[MATCH_TEST_BRIER_SKILL] = brier_skill(folds.predicted, liked, folds.base_rate)
        metrics[MATCH_TEST_AUC] = rank_auc(folds.predicted, liked)
    return calibration, metrics


def rank_auc(predicted: np.ndarray, liked: np.ndarray) -> float:
    """P(a liked rating's match > a not-liked one's), ties counted half: how well the match
    separates what people liked from what they did not (0.5 = not at all)."""
    liked = liked.astype(bool)
    n_liked, n_other = int(liked.sum()), int((~liked).sum())
    if n_liked == 0 or n_other == 0:
        return float("nan")
    ranks = pd.Series(predicted).rank(method="average").to_numpy()
    return float((ranks[liked].sum() - n_liked * (n_liked + 1) / 2) / (n_liked * n_other))
