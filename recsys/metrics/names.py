"""Metric names, defined once: results, artifacts, the gate and the admin read them by these.

A new ranking measure is one entry in ``recsys/metrics/registry.py`` and one new file that
computes it (docs/how-to/add-a-metric.md); a name joins this module when a page reads it by name;
``tests/test_constants.py`` fails on a metric name written as a literal anywhere else in source.
"""

from __future__ import annotations

# The ranking measures at a cut-off k; the protocol reports them at k = 10.
_MAP, _NDCG, _PRECISION, _RECALL, _MAP_CAPPED = "map", "ndcg", "precision", "recall", "map_capped"


def at_k(measure: str, k: int) -> str:
    """The key of ``measure`` at cut-off ``k`` (``ndcg@10``): one spelling for every ``k``."""
    return f"{measure}@{k}"


def ranking_at_k(k: int) -> tuple[str, str, str, str, str]:
    """The keys of MAP, nDCG, precision, recall and capped MAP at ``k``, in that order."""
    return tuple(at_k(m, k) for m in (_MAP, _NDCG, _PRECISION, _RECALL, _MAP_CAPPED))  # type: ignore[return-value]


#: The ranking measures' stems, in the published tables' order: the metric registry
#: (recsys/metrics/registry.py) names its built-in measures by these.
RANKING_STEMS: tuple[str, ...] = (_MAP, _NDCG, _PRECISION, _RECALL, _MAP_CAPPED)

MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10, MAP_CAPPED_AT_10 = ranking_at_k(10)
#: The protocol's columns, in the published tables' order.
TOP_10_METRICS = (MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10)
#: How many test users the ranking measures averaged over (recsys/evaluation/harness.py).
N_EVAL_USERS = "n_eval_users"


def spike_rate(side: str, block: int) -> str:
    """The key of the mean firing rate of block ``block`` of the ``side`` ("user"/"item") tower."""
    return f"spike_rate/{side}/block{block}"


# What the training itself cost (training/pipeline.py).
TRAIN_SECONDS = "train_seconds"
PEAK_MB = "peak_mb"

# The predicted match's calibration, measured out of fold on held-out ratings
# (training/calibration.py).
MATCH_CALIBRATION_RATINGS = "match/calibration_ratings"
MATCH_TEST_CALIBRATION_ERROR = "match/test_calibration_error"
MATCH_TEST_BRIER_SKILL = "match/test_brier_skill"
MATCH_TEST_AUC = "match/test_auc"

# What a simulated visitor sees from the served recommender (training/recsys/taste_sweep.py):
# nDCG@10 of the movies they liked, the share of the top 10 they would dislike, and the
# out-of-fold AUC and Brier skill of the predicted match.
LIKED_NDCG_AT_10 = "liked_ndcg@10"
DISLIKED_AT_10 = "disliked@10"
MATCH_AUC = "match_auc"
MATCH_BRIER_SKILL = "match_brier_skill"

# Energy of one recommendation, 45 nm estimates counted alike for every model
# (recsys/models/energy.py): the measured model's operations and 32-bit memory accesses, its
# energy with memory and compute only, and the reference models' on the same users. (Versions
# trained before this counting stored ``energy/snn_*`` and ``energy/ann_*``, which priced the
# same operation differently in the two networks; they are no longer shown.)
ENERGY_AC = "energy/ac"
ENERGY_MAC = "energy/mac"
ENERGY_ACCESSES = "energy/accesses"
ENERGY_NJ = "energy/nj"
ENERGY_COMPUTE_NJ = "energy/compute_nj"
ENERGY_EASE_NJ = "energy/ease/nj"
ENERGY_EASE_COMPUTE_NJ = "energy/ease/compute_nj"
ENERGY_BPR_NJ = "energy/bpr/nj"
ENERGY_BPR_COMPUTE_NJ = "energy/bpr/compute_nj"
ENERGY_EASE_BPR_NJ = "energy/ease+bpr/nj"
ENERGY_EASE_BPR_COMPUTE_NJ = "energy/ease+bpr/compute_nj"
#: Reference model → (key with memory, key compute only).
ENERGY_REFERENCES = {
    "ease": (ENERGY_EASE_NJ, ENERGY_EASE_COMPUTE_NJ),
    "bpr": (ENERGY_BPR_NJ, ENERGY_BPR_COMPUTE_NJ),
    "ease+bpr": (ENERGY_EASE_BPR_NJ, ENERGY_EASE_BPR_COMPUTE_NJ),
}
