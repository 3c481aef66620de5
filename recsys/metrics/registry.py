"""The ranking measures the harness reports, by name: one registry.

Every model's evaluation goes through :func:`ranking_metrics` (``evaluate_model`` in
``recsys/evaluation/harness.py``), and it reports exactly the measures registered here, each under
``at_k(stem, k)``. So a new measure is one new file holding its per-user function and one entry
at the bottom of this module — nothing in the harness, the results files or the reports changes
(docs/how-to/add-a-metric.md). The recommender registry (``recsys/registry.py``) and the neuron
registry (``snn_models/neurons/registry.py``) follow the same pattern.

All measures share one pass over the lists: :func:`recsys.metrics.ranking.hit_flags` turns the
recommended lists and the relevant sets into a (users × k) hit matrix and each user's number of
relevant items, and a measure maps those to one value per user; the report is the mean.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from recsys.metrics import ranking
from recsys.metrics.names import RANKING_STEMS, at_k

#: ``(hits, n_relevant) -> per-user values``: ``hits`` is (users × k) bool, ``n_relevant`` (users,).
PerUser = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RankingMeasure:
    """One ranking measure: the stem of its name (``ndcg`` → ``ndcg@10``) and its per-user value."""

    stem: str
    per_user: PerUser


_MEASURES: dict[str, RankingMeasure] = {}


def register_measure(measure: RankingMeasure) -> None:
    """Add ``measure`` to every evaluation from now on; a stem is registered once."""
    if measure.stem in _MEASURES:
        raise ValueError(f"a ranking measure {measure.stem!r} is already registered")
    _MEASURES[measure.stem] = measure


def unregister_measure(stem: str) -> None:
    """Remove a measure (tests that register a toy one clean up with this)."""
    if stem not in _MEASURES:
        raise KeyError(f"no ranking measure {stem!r}; registered: {', '.join(_MEASURES)}")
    del _MEASURES[stem]


def measures() -> tuple[RankingMeasure, ...]:
    """The registered measures, in the order they are reported."""
    return tuple(_MEASURES.values())


def ranking_metrics(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Collection[int]], k: int = 10
) -> dict[str, float]:
    """Every registered measure at ``k``, from a single pass over the lists (what the harness
    reports), keyed by ``at_k(stem, k)``."""
    hits, n_relevant = ranking.hit_flags(recommended, relevant, k)
    return {
        at_k(measure.stem, k): float(measure.per_user(hits, n_relevant).mean())
        for measure in _MEASURES.values()
    }


_MAP, _NDCG, _PRECISION, _RECALL, _MAP_CAPPED = RANKING_STEMS
for _measure in (
    RankingMeasure(_MAP, ranking.per_user_map),
    RankingMeasure(_NDCG, ranking.per_user_ndcg),
    RankingMeasure(_PRECISION, ranking.per_user_precision),
    RankingMeasure(_RECALL, ranking.per_user_recall),
    RankingMeasure(_MAP_CAPPED, ranking.per_user_map_capped),
):
    register_measure(_measure)
