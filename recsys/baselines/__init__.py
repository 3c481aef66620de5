"""Classic recommenders measured in the same harness as the spiking ranker."""

from recsys.baselines.bpr import BPRConfig, BPRMatrixFactorization
from recsys.baselines.itemknn import ItemKNN
from recsys.baselines.popularity import MostPopular

__all__ = ["BPRConfig", "BPRMatrixFactorization", "ItemKNN", "MostPopular"]
