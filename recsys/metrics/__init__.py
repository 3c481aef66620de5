"""Top-k ranking metrics, defined as in the published MovieLens-100K tables."""

from recsys.metrics.ranking import (
    map_at_k,
    map_at_k_capped,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from recsys.metrics.registry import ranking_metrics

__all__ = [
    "map_at_k",
    "map_at_k_capped",
    "ndcg_at_k",
    "precision_at_k",
    "ranking_metrics",
    "recall_at_k",
]
