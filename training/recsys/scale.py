"""Time and memory of the recommender on a synthetic table with MovieLens-25M's shape.

``python -m training.recsys scale --ratings 25000000`` draws a rating table with ML-25M's shape
(162,541 users, 62,423 movies by default), power-law movie popularity and log-normal user
activity, then measures what a training run at that size would do:

* the co-rating readout's neighbourhood fit (:func:`recsys.models.corating.neighbourhood_ridge`):
  seconds, the process's peak resident memory, synapses kept;
* the towers: seconds per training step of one tower pair, timed over a few batches and
  extrapolated to an epoch and to the committee (say so when quoting it), with the real feature
  code and the real training step: sparse batch rows built from the ratings' CSR form, and
  above ``FULL_CATALOGUE_UP_TO`` movies a sampled catalogue per step
  (:mod:`recsys.models.batches`);
* serving: milliseconds per user for the scoring that depends on the catalogue size (item
  product, co-rating readout gather, top-k). Run it with ``OPENBLAS_NUM_THREADS=1``: NumPy's
  BLAS threads otherwise wait for a free core on a shared machine, and a 0.02 ms product can
  take 20 ms.

Smaller ``--ratings`` scale users and movies by the same factor (ratings per user and per movie
stay ML-25M's), which gives the trend when the full size does not fit.
"""

from __future__ import annotations

import gc
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recsys.constants import MOVIE_ID, RATING, TIMESTAMP, USER_ID
from recsys.data.genres import GENRES
from recsys.data.interactions import UserItemRows
from recsys.models import defaults
from recsys.models.batches import sample_catalogue
from recsys.models.corating import SparseCoRatingReadout
from recsys.models.teacher import CoRatingTeacher
from recsys.serving.recommender import top_k_excluding
from training.measure import peak_memory_mb, time_calls

ML25M_USERS = 162_541
ML25M_ITEMS = 62_423
ML25M_RATINGS = 25_000_095
#: ML-25M's users rated a median of 71 and a mean of 154 movies, at least 20 each: a
#: log-normal with those two numbers, floored at 20.
ACTIVITY_MEDIAN = 71.0
ACTIVITY_MEAN = 154.0
MIN_RATINGS = 20
#: Movie ``r`` (by rank) is drawn with probability ∝ (r + 50)⁻¹: at full size the most rated
#: movie gets ~70k ratings (ML-25M: 81k) and the least rated ~50.
POPULARITY_EXPONENT = 1.0
POPULARITY_OFFSET = 50.0


def power_law_rows(n_users: int, n_items: int, n_ratings: int, seed: int = 0) -> UserItemRows:
    """A (users × movies) rating table in CSR form, each (user, movie) pair at most once."""
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(2.0 * np.log(ACTIVITY_MEAN / ACTIVITY_MEDIAN))
    activity = rng.lognormal(np.log(ACTIVITY_MEDIAN), sigma, n_users)
    activity = np.maximum(activity * n_ratings / activity.sum(), MIN_RATINGS)
    counts = np.minimum(np.round(activity).astype(np.int64), n_items // 2)
    popularity = (np.arange(n_items) + POPULARITY_OFFSET) ** -POPULARITY_EXPONENT
    popularity = popularity[rng.permutation(n_items)]  # popular movies anywhere in the ids
    cdf = np.cumsum(popularity / popularity.sum())
    pairs = np.zeros(0, dtype=np.int64)
    missing = counts
    for _ in range(8):  # repeats of a popular movie are dropped, then drawn again
        users = np.repeat(np.arange(n_users, dtype=np.int64), missing)
        items = np.minimum(np.searchsorted(cdf, rng.random(len(users))), n_items - 1)
        drawn = users * n_items + items
        drawn.sort()
        # Two sorted runs: the stable sort (timsort) merges them in one pass, far faster here
        # than np.union1d's hash-based unique; then drop the repeats.
        pairs = np.concatenate([pairs, drawn])
        pairs.sort(kind="stable")
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
        del drawn
        del users, items
        missing = np.maximum(counts - np.bincount(pairs // n_items, minlength=n_users), 0)
        if missing.sum() < 0.001 * counts.sum():
            break
    user_of, item_of = np.divmod(pairs, n_items)
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(user_of, minlength=n_users), out=indptr[1:])
    ratings = rng.integers(1, 6, len(item_of)).astype(np.float32)
    return UserItemRows(indptr=indptr, items=item_of, ratings=ratings, n_items=n_items)


@dataclass(frozen=True)
class Shape:
    n_users: int
    n_items: int
    n_ratings: int

    @classmethod
    def fraction_of_ml25m(cls, n_ratings: int) -> Shape:
        share = min(1.0, n_ratings / ML25M_RATINGS)
        return cls(
            max(100, round(ML25M_USERS * share)), max(50, round(ML25M_ITEMS * share)), n_ratings
        )


def _time_ms(call, repeats: int) -> dict[str, float]:
    """Median and p95 wall-clock ms and the median CPU ms (training.measure.time_calls) after
    three warm-up calls."""
    return time_calls(call, repeats, warmup=3).to_dict()


def measure_readout(rows: UserItemRows, neighbours: int) -> tuple[dict[str, Any], Any]:
    rss_before = peak_memory_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    readout = SparseCoRatingReadout(rows.n_items, defaults.CORATING_GAIN, neighbours)
    readout.fit(rows, defaults.CORATING_L2)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - started_cpu
    counts = rows.counts().astype(np.float64)
    # The distillation teacher's work per training step: one batch's train ratings through the
    # readout's synapses (CoRatingTeacher.scores), a dense (batch × movies) result.
    size = min(defaults.BATCH_SIZE, rows.n_users)
    batch_users = np.random.default_rng(2).choice(rows.n_users, size, replace=False)
    batch = torch.from_numpy(rows.dense(batch_users))
    started_cpu = time.process_time()
    teacher = CoRatingTeacher(readout)
    teacher_build_cpu_seconds = time.process_time() - started_cpu
    teacher_batch = _time_ms(lambda: teacher.scores(batch), 5)
    # A step above FULL_CATALOGUE_UP_TO movies needs only its sampled movies' teacher scores.
    sample = sample_catalogue(rows, batch_users, defaults.ITEM_SAMPLE, np.random.default_rng(3))
    teacher_sampled = _time_ms(lambda: teacher.scores(batch, sample.items), 5)
    return {
        "neighbours": readout.neighbours,
        "fit_seconds": seconds,
        "fit_cpu_seconds": cpu_seconds,
        "synapses": int(len(readout.values)),
        "stored_mb": sum(b.numel() * b.element_size() for b in readout.buffers()) / 2**20,
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after": peak_memory_mb(),
        "sum_squared_user_ratings": float((counts**2).sum()),
        "teacher_batch": {
            "users": len(batch_users),
            "build_cpu_seconds": teacher_build_cpu_seconds,
            **teacher_batch,
            "sampled_columns": len(sample.items),
            "sampled": teacher_sampled,
        },
    }, readout


def measure_scoring(rows: UserItemRows, readout: Any, width: int, repeats: int) -> dict:
    """One user's catalogue-size-dependent serving work: item product, readout, top-10."""
    rng = np.random.default_rng(1)
    items = rng.normal(0, 0.1, (rows.n_items, width)).astype(np.float32)
    user = rng.normal(0, 0.1, width).astype(np.float32)
    heavy = int(np.argsort(rows.counts())[len(rows.counts()) // 2])  # a median user
    rated = rows.items_of(heavy)

    def score() -> np.ndarray:
        scores = items @ user
        scores += readout.scores_for(rated)
        return top_k_excluding(scores, rated, 10)

    synapses = readout.synapses()
    read = int((synapses.indptr[rated + 1] - synapses.indptr[rated]).sum())
    return {
        "rated": len(rated),
        "user_width": width,
        # Synapses leaving the rated movies: a popular movie is among the k most co-rated of
        # many movies, so its row is long (at most n_items, like a dense row).
        "readout_synapses_read": read,
        **_time_ms(score, repeats),
        "product_only": _time_ms(lambda: items @ user, repeats),
        "readout_only": _time_ms(lambda: readout.scores_for(rated), repeats),
    }


def _tables(rows: UserItemRows, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Users, movies and ratings tables around ``rows`` for the real feature code."""
    rng = np.random.default_rng(seed)
    n_users, n_items = rows.n_users, rows.n_items
    genre_names = np.array(GENRES)
    movies = pd.DataFrame(
        {
            MOVIE_ID: np.arange(1, n_items + 1),
            "title": [f"Movie {i}" for i in range(n_items)],
            "year": rng.integers(1920, 2020, n_items),
            "genres": [
                tuple(genre_names[rng.choice(len(GENRES), rng.integers(1, 4), replace=False)])
                for _ in range(n_items)
            ],
        }
    )
    users = pd.DataFrame(
        {
            USER_ID: np.arange(1, n_users + 1),
            "age": rng.integers(15, 70, n_users),
            "gender": rng.choice(["M", "F"], n_users),
            "occupation": rng.choice(["student", "engineer", "artist", "other"], n_users),
            "zip_code": [f"{z:05d}" for z in rng.integers(0, 99999, n_users)],
        }
    )
    user_of, item_of = rows.pairs()
    ratings = pd.DataFrame(
        {
            USER_ID: user_of + 1,
            MOVIE_ID: item_of + 1,
            RATING: rows.ratings,
            TIMESTAMP: np.zeros(len(item_of), dtype=np.int64),
        }
    )
    return users, movies, ratings


def measure_towers(
    rows: UserItemRows,
    batches: int,
    seed: int,
    settings: dict[str, Any] | None = None,
    full_epoch: bool = False,
) -> tuple[dict[str, Any], Any]:
    """Seconds per training step of one pair (timed over ``batches``); with ``full_epoch``,
    also one whole epoch of that pair, timed, not extrapolated."""
    from recsys.models.config import TrainConfig
    from recsys.models.contract import TrainingData
    from recsys.models.fitting import SpikingRanker
    from recsys.models.trainer import FitConfig, TwoTowerFitter

    config = TrainConfig().with_settings(**(settings or {}))
    users, movies, ratings = _tables(rows, seed)
    started = time.perf_counter()
    data = TrainingData.from_tables(users, movies, ratings)
    builder, inputs = SpikingRanker().features(data)
    item_map = data.item_map
    del data
    prepare_seconds = time.perf_counter() - started
    del ratings
    gc.collect()
    from recsys.models.ranker import TwoTowerRanker

    ranker_config = config.ranker
    model = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config)
    fit_config: FitConfig = config.fit
    fitter = TwoTowerFitter(model.members[0], inputs, fit_config)
    active = np.flatnonzero(inputs.train.counts() > 0)
    order = np.random.default_rng(seed).permutation(active)
    size = fit_config.batch_size
    fitter.model.train()
    fitter._step(order[:size])  # warm-up: allocations, first-call overheads
    started, started_cpu = time.perf_counter(), time.process_time()
    for b in range(1, batches + 1):
        fitter._step(order[b * size : (b + 1) * size])
    per_step = (time.perf_counter() - started) / batches
    per_step_cpu = (time.process_time() - started_cpu) / batches
    steps_per_epoch = int(np.ceil(len(active) / size))
    sampled = fitter.samples_catalogue()
    epoch: dict[str, float] = {}
    if full_epoch:
        started, started_cpu = time.perf_counter(), time.process_time()
        epoch["loss"] = fitter.run_epoch(progress=True)
        epoch["seconds"] = time.perf_counter() - started
        epoch["cpu_seconds"] = time.process_time() - started_cpu
        epoch["peak_rss_mb_after"] = peak_memory_mb()
        print(f"one pair, one epoch {json.dumps(epoch)}", flush=True)
    return {
        "epoch_one_pair_measured": epoch or None,
        "prepare_seconds": prepare_seconds,
        "timed_batches": batches,
        "batch_size": size,
        "movies_per_step": (
            f"batch's rated + {fit_config.item_sample} drawn" if sampled else "all"
        ),
        "parameters_one_pair": sum(p.numel() for p in fitter.model.parameters()),
        "seconds_per_step_one_pair": per_step,
        "cpu_seconds_per_step_one_pair": per_step_cpu,
        "steps_per_epoch": steps_per_epoch,
        "epoch_cpu_seconds_committee_extrapolated": per_step_cpu
        * steps_per_epoch
        * config.ranker.members,
        "epoch_seconds_one_pair_extrapolated": per_step * steps_per_epoch,
        "epoch_seconds_committee_extrapolated": per_step * steps_per_epoch * config.ranker.members,
        "members": config.ranker.members,
        "settings": dict(settings or {}),
        "peak_rss_mb_after": peak_memory_mb(),
    }, (model, builder, item_map)


def run_scale(
    n_ratings: int = ML25M_RATINGS,
    n_users: int | None = None,
    n_items: int | None = None,
    neighbours: int = 200,
    tower_batches: int = 20,
    seed: int = 0,
    json_path: str | None = None,
    serving_repeats: int = 200,
    tower_settings: dict[str, Any] | None = None,
    with_readout: bool = True,
    full_epoch: bool = False,
) -> dict[str, Any]:
    torch.set_num_threads(1)
    shape = Shape.fraction_of_ml25m(n_ratings)
    shape = Shape(n_users or shape.n_users, n_items or shape.n_items, n_ratings)
    result: dict[str, Any] = {"shape": shape.__dict__}
    started = time.perf_counter()
    print(f"shape {json.dumps(shape.__dict__)}", flush=True)
    rows = power_law_rows(shape.n_users, shape.n_items, shape.n_ratings, seed)
    popularity = rows.item_counts()
    result["data"] = {
        "ratings": int(len(rows.items)),
        "seconds": time.perf_counter() - started,
        "most_rated_movie": int(popularity.max()),
        "median_movie": float(np.median(popularity)),
        "max_user": int(rows.counts().max()),
        "peak_rss_mb_after": peak_memory_mb(),
    }
    print(f"data {json.dumps(result['data'])}", flush=True)
    if with_readout:
        result["readout"], readout = measure_readout(rows, neighbours)
        print(f"readout {json.dumps(result['readout'])}", flush=True)
        width = defaults.MEMBERS * defaults.DIM + 1
        result["scoring"] = measure_scoring(rows, readout, width, serving_repeats)
        print(f"scoring {json.dumps(result['scoring'])}", flush=True)
        del readout
        gc.collect()
    if tower_batches < 1:
        result["towers"] = {"skipped": "not asked for (--tower-batches 0)"}
    else:
        result["towers"], _ = measure_towers(rows, tower_batches, seed, tower_settings, full_epoch)
    print(f"towers {json.dumps(result['towers'])}", flush=True)
    result["peak_rss_mb"] = peak_memory_mb()
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result
