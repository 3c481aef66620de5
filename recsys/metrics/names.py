"""Metric names, defined once: results, artifacts, the gate and the admin read them by these."""

MAP_AT_10 = "map@10"
NDCG_AT_10 = "ndcg@10"
PRECISION_AT_10 = "precision@10"
RECALL_AT_10 = "recall@10"
#: The protocol's columns, in the published tables' order.
TOP_10_METRICS = (MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10)
