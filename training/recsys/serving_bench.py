"""Serving latency: top-10 for one user from a loaded artifact, then over 100,000 items.

The large catalogue is synthetic: the artifact's real item vectors followed by vectors drawn
to match their mean and spread, so the timing covers the real user tower and the real
scoring code, with only the catalogue size changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from recsys.features.schema import UserQuery
from recsys.serving import load_recommender
from recsys.serving.recommender import Recommender
from training.measure import time_calls


def _time_ms(call, repeats: int) -> tuple[float, float, float]:
    """(median, p95) wall-clock ms and the median CPU ms (training.measure.time_calls) after
    min(20, repeats) warm-up requests."""
    timing = time_calls(call, repeats, warmup=min(20, repeats))
    return timing.median_ms, timing.p95_ms, timing.median_cpu_ms


def _synthetic(recommender: Recommender, n_items: int, rng: np.random.Generator) -> Recommender:
    real_ids = recommender._index.id_map.ids
    real = recommender._index.matrix
    extra = max(0, n_items - len(real))
    fake = rng.normal(real.mean(0), real.std(0), size=(extra, real.shape[1])).astype(np.float32)
    ids = np.concatenate([real_ids, np.arange(extra) + int(real_ids.max()) + 1])
    return Recommender(
        recommender.model,
        recommender.builder,
        ids,
        np.vstack([real, fake]),
        recommender.version_info,
    )


def run_serving_benchmark(artifact: Path, n_synthetic: int = 100_000, repeats: int = 500) -> dict:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    recommender = load_recommender(artifact)
    ids = recommender._index.id_map.ids
    rated = rng.choice(ids, size=min(60, len(ids)), replace=False)
    query = UserQuery(
        age=30,
        gender="F",
        occupation="engineer",
        zip_code="94110",
        ratings={int(m): float(rng.integers(1, 6)) for m in rated},
    )
    results = {}
    median, p95, cpu = _time_ms(lambda: recommender.recommend(query, k=10), repeats)
    results["one_user_ms"] = {"items": len(ids), "median": median, "p95": p95, "median_cpu": cpu}
    print(
        f"top-10, one user, {len(ids):,} items: median {median:.3f} ms, p95 {p95:.3f} ms, "
        f"median CPU {cpu:.3f} ms"
    )
    large = _synthetic(recommender, n_synthetic, rng)
    median, p95, cpu = _time_ms(lambda: large.recommend(query, k=10), max(50, repeats // 5))
    results["synthetic_ms"] = {
        "items": large.n_items,
        "median": median,
        "p95": p95,
        "median_cpu": cpu,
    }
    print(
        f"top-10, one user, {large.n_items:,} items: median {median:.3f} ms, p95 {p95:.3f} ms, "
        f"median CPU {cpu:.3f} ms"
    )
    return results
