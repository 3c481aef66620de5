"""Classic recommenders measured in the same harness as the spiking ranker."""

from recsys.baselines.blend import ScoreBlend
from recsys.baselines.bpr import BPRConfig, BPRMatrixFactorization
from recsys.baselines.ease import EASE
from recsys.baselines.ials import IALS, IALSConfig
from recsys.baselines.itemknn import ItemKNN
from recsys.baselines.multdae import MultDAE, MultDAEConfig
from recsys.baselines.popularity import MostPopular

__all__ = [
    "BPRConfig",
    "BPRMatrixFactorization",
    "EASE",
    "IALS",
    "IALSConfig",
    "ItemKNN",
    "MostPopular",
    "MultDAE",
    "MultDAEConfig",
    "ScoreBlend",
]
