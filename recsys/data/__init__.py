"""Datasets the recommender learns from."""

from recsys.data.movielens import (
    GENRES,
    MovieLens,
    MovieLensDataError,
    load_movielens_100k,
)

__all__ = ["GENRES", "MovieLens", "MovieLensDataError", "load_movielens_100k"]
