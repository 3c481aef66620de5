"""Seed 003's rule: the plasticity-centric network learns per batch, no optimiser, no backward.

Everything happens inside :meth:`snn_models.plasticity.PlasticityCentricNetwork.learn` (feed-
forward and equilibrium potentials, the teacher, the supervised potential step, differential
STDP in every layer); this adapter only reports the output layer's cross-entropy and accuracy so
its curves read like the other rules'.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import LocalNetwork
from snn_models.plasticity import PlasticityCentricNetwork
from training.vision.rules.base import StepResult


class PlasticityCentricRule:
    def __init__(self, network: LocalNetwork) -> None:
        (block,) = network.blocks
        if not isinstance(block.body, PlasticityCentricNetwork):
            raise TypeError("the rule needs the network of build_plasticity_centric_network")
        self.network = network
        self.body = block.body

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return []

    @torch.no_grad()
    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        logits = self.body.learn(self.network.encode(images), labels)
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
        )
