"""Scoring any recommender on the fixed protocol."""

from recsys.evaluation.harness import evaluate_model, top_k_unseen

__all__ = ["evaluate_model", "top_k_unseen"]
