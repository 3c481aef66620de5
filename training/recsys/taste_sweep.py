"""Choosing the serving-time taste settings (:mod:`recsys.serving.taste`) on the validation split.

``python -m training.recsys taste [--artifact DIR] --jsonl LOG`` trains (or reads) a model on
the *validation* training part — the protocol's train 75% split 80/20 by person, the test 25%
never read — and scores each candidate setting through the served recommender, per person, from
their validation-training ratings with their stars:

* ``liked_ndcg@10``: nDCG@10 where only held-out ratings of 4 or 5 stars are relevant (what a
  visitor wants: movies they will *like*, not merely watch);
* ``ndcg@10``: the protocol's nDCG@10 (every held-out rating relevant), to show what the setting
  costs on the implicit-feedback metric;
* ``disliked@10``: the share of top-10 places taken by movies the person rated 1–2 stars;
* ``match_auc`` and ``match_brier_skill``: how well the calibrated match separates liked from
  not-liked held-out ratings (two-fold by person, :mod:`training.calibration`).

The favourite-genre prior is swept on simulated visitors: each person states the two genres most
over-represented among their validation-training likes and has rated ``n`` of those ratings
(``n`` in :data:`GENRE_EVIDENCE_RATINGS`); its metric is ``liked_ndcg@10`` on their held-out part.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from recsys.constants import LIKED_STARS, MOVIE_ID, RATING, USER_ID
from recsys.data.split import stratified_split
from recsys.features.schema import UserQuery
from recsys.features.users import derive_favourite_genres, query_from_row
from recsys.metrics.names import (
    DISLIKED_AT_10,
    LIKED_NDCG_AT_10,
    MATCH_AUC,
    MATCH_BRIER_SKILL,
    NDCG_AT_10,
)
from recsys.serving.recommender import Recommender
from recsys.serving.taste import TasteSettings
from training.calibration import brier_skill, out_of_fold, rank_auc

#: Ratings a simulated visitor has given when the genre prior is swept.
GENRE_EVIDENCE_RATINGS = (0, 2, 5, 10, 20)
DISLIKED_STARS = 2
K = 10


def dcg(relevant: np.ndarray) -> float:
    return float((relevant / np.log2(np.arange(2, len(relevant) + 2))).sum())


def ndcg(ranked: np.ndarray, relevant: set[int], k: int = K) -> float:
    if not relevant:
        return float("nan")
    gains = np.array([m in relevant for m in ranked[:k]], dtype=np.float64)
    ideal = dcg(np.ones(min(k, len(relevant))))
    return dcg(gains) / ideal


class Visitors:
    """The validation people: their fitting ratings (with stars) and held-out ratings."""

    def __init__(self, users: pd.DataFrame, fitting: pd.DataFrame, held_out: pd.DataFrame):
        self.profiles = users.set_index(USER_ID)
        self.fitting = {int(u): rows for u, rows in fitting.groupby(USER_ID)}
        self.held_out = {int(u): rows for u, rows in held_out.groupby(USER_ID)}
        self.people = sorted(set(self.fitting) & set(self.held_out))

    def query(self, person: int, ratings: dict[int, float] | None = None, **changes) -> UserQuery:
        rows = self.fitting[person]
        if ratings is None:
            ratings = dict(zip(rows[MOVIE_ID].astype(int), rows[RATING].astype(float), strict=True))
        base = query_from_row(self.profiles.loc[person], person, ratings)
        return replace(base, **changes) if changes else base


def liked_ndcg_per_person(recommender: Recommender, visitors: Visitors) -> np.ndarray:
    """Each validation person's ``liked_ndcg@10`` under the recommender's current settings
    (NaN for a person with no liked held-out movie)."""
    out = []
    for person in visitors.people:
        held = visitors.held_out[person]
        liked = set(held.loc[held[RATING] >= LIKED_STARS, MOVIE_ID].astype(int))
        ranked = np.array([s.movie_id for s in recommender.recommend(visitors.query(person), k=K)])
        out.append(ndcg(ranked, liked))
    return np.array(out)


def paired_difference(
    recommender: Recommender,
    visitors: Visitors,
    first: TasteSettings,
    second: TasteSettings,
    seed: int = 0,
    draws: int = 2000,
) -> dict[str, float]:
    """``first`` − ``second`` in ``liked_ndcg@10``, paired by person, with a 95% bootstrap
    interval over people."""
    base = recommender.taste
    recommender.taste = first
    one = liked_ndcg_per_person(recommender, visitors)
    recommender.taste = second
    two = liked_ndcg_per_person(recommender, visitors)
    recommender.taste = base
    diff = (one - two)[~np.isnan(one - two)]
    rng = np.random.default_rng(seed)
    means = [rng.choice(diff, len(diff)).mean() for _ in range(draws)]
    return {
        "mean": float(diff.mean()),
        "low": float(np.percentile(means, 2.5)),
        "high": float(np.percentile(means, 97.5)),
        "people": int(len(diff)),
    }


def evaluate_setting(
    recommender: Recommender, visitors: Visitors, seed: int = 0
) -> dict[str, float]:
    """The metrics above for the recommender's current ``taste`` settings."""
    liked_ndcg, all_ndcg, disliked, scores, liked, people = [], [], [], [], [], []
    for person in visitors.people:
        query = visitors.query(person)
        held = visitors.held_out[person]
        ranked = np.array([s.movie_id for s in recommender.recommend(query, k=K)])
        stars = dict(zip(held[MOVIE_ID].astype(int), held[RATING], strict=True))
        liked_set = {m for m, r in stars.items() if r >= LIKED_STARS}
        liked_ndcg.append(ndcg(ranked, liked_set))
        all_ndcg.append(ndcg(ranked, set(stars)))
        disliked.append(np.mean([stars.get(int(m), 5) <= DISLIKED_STARS for m in ranked]))
        taste = recommender.match_scores(query)
        movies = np.array(list(stars), dtype=np.int64)
        scores.append(taste[recommender.positions_of(movies)])
        liked.append(np.array([stars[int(m)] >= LIKED_STARS for m in movies], dtype=np.float64))
        people.append(np.full(len(movies), person))
    scores_all, liked_all = np.concatenate(scores), np.concatenate(liked)
    folds = out_of_fold(scores_all, liked_all, np.concatenate(people), seed)
    return {
        LIKED_NDCG_AT_10: float(np.nanmean(liked_ndcg)),
        NDCG_AT_10: float(np.nanmean(all_ndcg)),
        DISLIKED_AT_10: float(np.mean(disliked)),
        MATCH_AUC: rank_auc(folds.predicted, liked_all) if folds else float("nan"),
        MATCH_BRIER_SKILL: brier_skill(folds.predicted, liked_all, folds.base_rate)
        if folds
        else float("nan"),
    }


def genre_prior_curve(
    recommender: Recommender, visitors: Visitors, genre_shares: Iterable[float], seed: int = 0
) -> dict[int, dict[float, float]]:
    """{ratings given: {genre_half_evidence: liked_ndcg@10}} for simulated visitors who state
    their two most over-represented liked genres and have rated ``n`` random fitting ratings;
    ``genre_half_evidence`` 0 stands for the same visitors stating no genres."""
    rng = np.random.default_rng(seed)
    genres = recommender.builder.item_genres
    share = recommender.builder.global_genre_share
    out: dict[int, dict[float, float]] = {}
    base = recommender.taste
    for n in GENRE_EVIDENCE_RATINGS:
        results: dict[float, list[float]] = {h: [] for h in genre_shares}
        for person in visitors.people:
            rows = visitors.fitting[person]
            liked_rows = rows[rows[RATING] >= LIKED_STARS]
            positions = recommender.positions_of(liked_rows[MOVIE_ID].astype(int))
            stated = derive_favourite_genres(genres[positions], share, n=2)
            if not stated:
                continue
            take = rng.permutation(len(rows))[: min(n, len(rows))]
            given = dict(
                zip(
                    rows[MOVIE_ID].to_numpy()[take].astype(int),
                    rows[RATING].to_numpy()[take].astype(float),
                    strict=True,
                )
            )
            held = visitors.held_out[person]
            relevant = set(held.loc[held[RATING] >= LIKED_STARS, MOVIE_ID].astype(int))
            query = visitors.query(person, ratings=given, favourite_genres=stated)
            for h in genre_shares:
                # h = 0 is the same visitor stating no genres: the baseline the prior must beat.
                recommender.taste = replace(base, genre_half_evidence=h or 1.0)
                asked = query if h else replace(query, favourite_genres=())
                ranked = np.array([s.movie_id for s in recommender.recommend(asked, k=K)])
                results[h].append(ndcg(ranked, relevant))
        recommender.taste = base
        out[n] = {h: float(np.nanmean(v)) for h, v in results.items()}
    return out


def candidate_settings() -> list[TasteSettings]:
    """The grid: the model as trained (every rating a spike of 1, all in the bag), then the
    dislike amplitude × the 3-star amplitude × which ratings feed the bag."""
    grid = [TasteSettings(spikes_by_stars=(1.0, 1.0, 1.0, 1.0, 1.0), bag_min_stars=1.0)]
    for one_star in (0.0, -0.5, -1.0, -1.5, -2.0):
        for three in (-0.25, 0.0, 0.25, 0.5):
            for bag in (1.0, 3.0):
                spikes = (one_star, one_star / 2, three, 1.0, 1.0)
                grid.append(TasteSettings(spikes_by_stars=spikes, bag_min_stars=bag))
    return grid


def run(recommender: Recommender, visitors: Visitors, log: Path | None) -> list[dict]:
    rows = []
    for settings in tqdm(candidate_settings(), desc="taste settings"):
        recommender.taste = settings
        row = {"settings": asdict(settings), **evaluate_setting(recommender, visitors)}
        rows.append(row)
        if log:
            with log.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
    return rows


def validation_visitors(users: pd.DataFrame, ratings: pd.DataFrame, split_seed: int, ratio: float):
    """The protocol train part, split ``ratio`` / rest by person (the validation split)."""
    train = stratified_split(ratings, 0.75, split_seed).train
    validation = stratified_split(train, ratio, split_seed)
    return Visitors(users, validation.train, validation.test)
