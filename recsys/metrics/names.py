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

# Energy of one recommendation, 45 nm estimates (recsys/models/energy.py): operation counts and
# nanojoules for the spiking network, its ANN twin and the reference models.
ENERGY_SNN_AC = "energy/snn_ac"
ENERGY_SNN_MAC = "energy/snn_mac"
ENERGY_SNN_NJ = "energy/snn_nj"
ENERGY_ANN_MAC = "energy/ann_mac"
ENERGY_ANN_NJ = "energy/ann_nj"
ENERGY_ANN_SPARSE_INPUT_NJ = "energy/ann_sparse_input_nj"
ENERGY_ANN_OVER_SNN = "energy/ann_over_snn"
ENERGY_ANN_SPARSE_INPUT_OVER_SNN = "energy/ann_sparse_input_over_snn"
ENERGY_EASE_NJ = "energy/ease_nj"
ENERGY_BPR_NJ = "energy/bpr_nj"
