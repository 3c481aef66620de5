"""The ranker: a committee of two-tower pairs, score = mean over pairs of user · item + bias,
plus, when configured, the co-rating readout (:mod:`recsys.models.corating`) of the rated movies.

One *pair* is a user tower and an item tower. The item tower emits ``dim + 1`` numbers per
movie; the last is the movie's bias. Appending a constant 1 to the user embedding folds the
bias into the same dot product. The bias comes from the tower (not a free per-id parameter),
so a movie uploaded after training gets a bias from its content too.

A *committee* of ``members`` pairs, each trained on its own with its own seed (no gradient or
loss passes between members), scores the mean of its members' scores. Spiking towers trained
from different seeds make partly independent ranking errors, and the mean cancels part of
them; on the validation split three members beat the best single pair by more than the spread
between seeds (docs/recsys.md). The committee still serves with one dot product: its user
vector is the members' user vectors side by side plus the constant 1, its item vector the
members' item vectors scaled by 1/members plus their mean bias.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from torch import Tensor, nn

from recsys.models import defaults
from recsys.models.corating import corating_readout, synapses_per_neuron
from recsys.models.towers import Integrate, SpikingTower, TowerConfig, module_integrate


@dataclass(frozen=True)
class RankerConfig:
    dim: int = defaults.DIM
    user: TowerConfig = field(default_factory=TowerConfig)
    item: TowerConfig = field(default_factory=TowerConfig)
    members: int = defaults.MEMBERS
    #: Weight of the co-rating readout (``recsys.models.corating``) beside the towers' score;
    #: 0 = towers only. ``corating_items`` is the catalogue it connects (set when fitting).
    corating_gain: float = defaults.CORATING_GAIN
    corating_items: int = 0
    #: Synapses per readout neuron, from its most co-rated movies, for catalogues of more than
    #: ``corating_dense_up_to`` movies; up to that, and when 0, every movie (dense).
    corating_neighbours: int = defaults.CORATING_NEIGHBOURS
    corating_dense_up_to: int = defaults.CORATING_DENSE_UP_TO

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ValueError(f"a committee needs at least one member, got members={self.members}")
        if self.corating_gain < 0:
            raise ValueError(f"corating_gain must be >= 0, got {self.corating_gain}")
        if self.corating_neighbours < 0:
            raise ValueError(f"corating_neighbours must be >= 0, got {self.corating_neighbours}")
        if self.corating_dense_up_to < 0:
            raise ValueError(f"corating_dense_up_to must be >= 0, got {self.corating_dense_up_to}")

    @property
    def has_corating(self) -> bool:
        return self.corating_gain > 0 and self.corating_items > 0

    @property
    def embedding_width(self) -> int:
        """Columns of a serving-ready user or item vector."""
        return self.members * self.dim + 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RankerConfig:
        """Read stored metadata. A config saved before committees (no ``members``) or before the
        co-rating readout (no ``corating_*``) was one pair without a readout, whatever today's
        defaults are."""
        return cls(
            dim=int(data["dim"]),
            user=TowerConfig(**data["user"]),
            item=TowerConfig(**data["item"]),
            members=int(data.get("members", 1)),
            corating_gain=float(data.get("corating_gain", 0.0)),
            corating_items=int(data.get("corating_items", 0)),
            # Artifacts from before the sparse readout hold the dense matrix.
            corating_neighbours=int(data.get("corating_neighbours", 0)),
            corating_dense_up_to=int(
                data.get("corating_dense_up_to", defaults.CORATING_DENSE_UP_TO)
            ),
        )

    def fitted_to(self, n_items: int) -> RankerConfig:
        """This config with the co-rating readout connecting a catalogue of ``n_items``."""
        return replace(self, corating_items=n_items) if self.corating_gain > 0 else self

    @property
    def corating_synapses_per_neuron(self) -> int:
        """0 for the dense readout (every movie pair), else the neighbourhood size ``k``."""
        return synapses_per_neuron(
            self.corating_items, self.corating_neighbours, self.corating_dense_up_to
        )


class TowerPair(nn.Module):
    """One user tower and one item tower: score = [user, 1] · [item, bias]."""

    def __init__(self, n_user_inputs: int, n_item_inputs: int, config: RankerConfig) -> None:
        super().__init__()
        self.user_tower = SpikingTower(n_user_inputs, _with_out_dim(config.user, config.dim))
        self.item_tower = SpikingTower(n_item_inputs, _with_out_dim(config.item, config.dim + 1, 1))

    @staticmethod
    def augment_user(user_head: Tensor) -> Tensor:
        """Append the constant that multiplies the item bias."""
        return torch.cat([user_head, torch.ones_like(user_head[..., :1])], dim=-1)

    def user_embeddings(
        self, user_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(B, dim + 1) user vectors (last entry 1)."""
        return self.augment_user(self.user_tower.embed(user_inputs, integrate))

    def item_embeddings(
        self, item_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(N, dim + 1) item vectors (last entry = bias)."""
        return self.item_tower.embed(item_inputs, integrate)

    def forward(self, user_inputs: Tensor, item_inputs: Tensor) -> Tensor:
        return self.user_embeddings(user_inputs) @ self.item_embeddings(item_inputs).T


class TwoTowerRanker(nn.Module):
    """``config.members`` tower pairs; serving-ready vectors are ``config.embedding_width`` wide."""

    def __init__(self, n_user_inputs: int, n_item_inputs: int, config: RankerConfig) -> None:
        super().__init__()
        self.config = config
        self.n_user_inputs = n_user_inputs
        self.n_item_inputs = n_item_inputs
        self.members = nn.ModuleList(
            TowerPair(n_user_inputs, n_item_inputs, config) for _ in range(config.members)
        )
        self.corating = (
            corating_readout(
                config.corating_items, config.corating_gain, config.corating_synapses_per_neuron
            )
            if config.has_corating
            else None
        )

    def user_embeddings(
        self, user_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(B, members · dim + 1) serving-ready user vectors (last entry 1)."""
        heads = [pair.user_tower.embed(user_inputs, integrate) for pair in self.members]
        return TowerPair.augment_user(torch.cat(heads, dim=-1))

    def item_embeddings(
        self, item_inputs: Tensor, integrate: Integrate = module_integrate
    ) -> Tensor:
        """(N, members · dim + 1) serving-ready item vectors (last entry = mean bias)."""
        outputs = [pair.item_embeddings(item_inputs, integrate) for pair in self.members]
        share = 1.0 / len(outputs)
        vectors = [out[:, :-1] * share for out in outputs]
        bias = torch.stack([out[:, -1] for out in outputs]).mean(0, keepdim=True).T
        return torch.cat([*vectors, bias], dim=-1)

    def forward(self, user_inputs: Tensor, item_inputs: Tensor) -> Tensor:
        return self.user_embeddings(user_inputs) @ self.item_embeddings(item_inputs).T


def upgrade_state_dict(state: dict[str, Any]) -> dict[str, Any]:
    """Weights saved before rankers were committees (``user_tower.…`` at the top level) are
    the committee's only member; rename them so older artifacts (rollback targets) still load."""
    if any(key.startswith("members.") for key in state):
        return state
    return {f"members.0.{key}": value for key, value in state.items()}


def _with_out_dim(config: TowerConfig, out_dim: int, shared_columns: int = 0) -> TowerConfig:
    """``config`` with its output width; ``shared_columns`` trailing outputs (the item bias) are
    added up, not split, by a tower whose blocks own slices of the embedding."""
    return TowerConfig(**{**asdict(config), "out_dim": out_dim, "shared_columns": shared_columns})
