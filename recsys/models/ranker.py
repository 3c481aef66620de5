"""The two-tower ranker: score(user, movie) = user_embedding · item_embedding + item_bias.

The item tower emits ``dim + 1`` numbers per movie; the last is the movie's bias. Appending a
constant 1 to every user embedding folds the bias into the same dot product, so serving is a
single matrix–vector product over a precomputed item matrix. The bias comes from the tower (not
a free per-id parameter), so a movie uploaded after training gets a bias from its content too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

from recsys.models.towers import Integrate, SpikingTower, TowerConfig, module_integrate


@dataclass(frozen=True)
class RankerConfig:
    dim: int = 64
    user: TowerConfig = field(default_factory=TowerConfig)
    item: TowerConfig = field(default_factory=TowerConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RankerConfig:
        return cls(
            dim=int(data["dim"]), user=TowerConfig(**data["user"]), item=TowerConfig(**data["item"])
        )


class TwoTowerRanker(nn.Module):
    def __init__(self, n_user_inputs: int, n_item_inputs: int, config: RankerConfig) -> None:
        super().__init__()
        self.config = config
        self.n_user_inputs = n_user_inputs
        self.n_item_inputs = n_item_inputs
        self.user_tower = SpikingTower(n_user_inputs, _with_out_dim(config.user, config.dim))
        self.item_tower = SpikingTower(n_item_inputs, _with_out_dim(config.item, config.dim + 1))

    @staticmethod
    def augment_user(user_head: Tensor) -> Tensor:
        """Append the constant that multiplies the item bias."""
        return torch.cat([user_head, torch.ones_like(user_head[..., :1])], dim=-1)

    def user_embeddings(
        self, user_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(B, dim + 1) serving-ready user vectors (last entry 1)."""
        return self.augment_user(self.user_tower.embed(user_inputs, integrate))

    def item_embeddings(
        self, item_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(N, dim + 1) serving-ready item vectors (last entry = bias)."""
        return self.item_tower.embed(item_inputs, integrate)

    def forward(self, user_inputs: Tensor, item_inputs: Tensor) -> Tensor:
        return self.user_embeddings(user_inputs) @ self.item_embeddings(item_inputs).T


def _with_out_dim(config: TowerConfig, out_dim: int) -> TowerConfig:
    return TowerConfig(**{**asdict(config), "out_dim": out_dim})
