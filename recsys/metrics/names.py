"""Metric names, defined once: results, artifacts, the gate and the admin read them by these."""

MAP_AT_10 = "map@10"
NDCG_AT_10 = "ndcg@10"
PRECISION_AT_10 = "precision@10"
RECALL_AT_10 = "recall@10"
#: The protocol's columns, in the published tables' order.
TOP_10_METRICS = (MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10)

# What the training itself cost (training/pipeline.py).
TRAIN_SECONDS = "train_seconds"
PEAK_MB = "peak_mb"

# The predicted match's calibration, measured out of fold on held-out ratings
# (training/calibration.py).
MATCH_CALIBRATION_RATINGS = "match/calibration_ratings"
MATCH_TEST_CALIBRATION_ERROR = "match/test_calibration_error"
MATCH_TEST_BRIER_SKILL = "match/test_brier_skill"
MATCH_TEST_AUC = "match/test_auc"

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
