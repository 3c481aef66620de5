"""The spiking two-tower ranker: towers, scoring, losses and training loops."""

from recsys.models.fit import FittedRanker, fit_ranker, prepare
from recsys.models.ranker import RankerConfig, TowerPair, TwoTowerRanker
from recsys.models.towers import SpikingTower, TowerConfig, build_tower
from recsys.models.training import FitConfig, TowerInputs, fit_two_tower

__all__ = [
    "FitConfig",
    "FittedRanker",
    "RankerConfig",
    "SpikingTower",
    "TowerConfig",
    "TowerInputs",
    "TowerPair",
    "TwoTowerRanker",
    "build_tower",
    "fit_ranker",
    "fit_two_tower",
    "prepare",
]
