"""What the training loop needs from a learning rule: one training step at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from snn_models import LocalNetwork


@dataclass(frozen=True)
class StepResult:
    """Output-layer cross-entropy and correct count of one batch.

    Every rule reports the same quantity (the output layer's loss), so loss curves of BPTT,
    local and HSIC runs can be read side by side; block losses are rule-specific and go to
    `block_losses`.
    """

    loss: float
    correct: int
    block_losses: tuple[float, ...] = ()


class LearningRule(Protocol):
    """Trains a network one batch at a time; inference is always the plain network forward."""

    network: LocalNetwork

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]: ...

    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult: ...
