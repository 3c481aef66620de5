"""Mult-DAE (Liang et al. 2018, "Variational Autoencoders for Collaborative Filtering").

A denoising autoencoder of the user's rating bag: the bag is L2-normalised, half of it dropped,
passed through one tanh layer and decoded to a softmax over the catalogue, trained on the
multinomial log-likelihood of every rated movie. The paper's architecture is
``[n_items → 600 → n_items]``; its L2 weight and epochs are chosen on the validation split.
It is the non-spiking twin of a spiking autoencoder, so it says what a bag-to-catalogue network
of this size reaches here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from recsys.features.schema import UserQuery
from recsys.models.contract import TrainingData


@dataclass
class MultDAEConfig:
    hidden: int = 600
    dropout: float = 0.5
    epochs: int = 100
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    seed: int = 42


class _Network(nn.Module):
    def __init__(self, n_items: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.encode = nn.Linear(n_items, hidden)
        self.decode = nn.Linear(hidden, n_items)
        self.dropout = dropout
        for layer in (self.encode, self.decode):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=0.001)

    def forward(self, bag: torch.Tensor) -> torch.Tensor:
        x = F.dropout(F.normalize(bag, dim=1), self.dropout, self.training)
        return self.decode(torch.tanh(self.encode(x)))


class MultDAE:
    def __init__(self, config: MultDAEConfig | None = None) -> None:
        self.config = config or MultDAEConfig()

    def fit(self, data: TrainingData, show_progress: bool = False) -> MultDAE:
        config = self.config
        torch.manual_seed(config.seed)
        generator = torch.Generator().manual_seed(config.seed)
        self.data = data
        self.network = _Network(data.n_items, config.hidden, config.dropout)
        bags = torch.from_numpy(data.rows.dense())
        optimizer = torch.optim.Adam(
            self.network.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.network.train()
        for _ in tqdm(range(config.epochs), desc="mult-dae", disable=not show_progress):
            order = torch.randperm(len(bags), generator=generator)
            for start in range(0, len(order), config.batch_size):
                batch = bags[order[start : start + config.batch_size]]
                log_probs = F.log_softmax(self.network(batch), dim=1)
                loss = -(log_probs * batch).sum(1).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.network.eval()
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self._decode(self.data.rows.dense(users))

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        return self._decode(self.data.bags(queries))

    @torch.no_grad()
    def _decode(self, bags: np.ndarray) -> np.ndarray:
        return self.network(torch.from_numpy(bags)).numpy()
