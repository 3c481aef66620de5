"""Back-propagation through time with surrogate gradients: the end-to-end baseline."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import BPTTTrainer, LocalNetwork
from snn_models.local import OptimizerFactory
from training.vision.rules.base import StepResult


class BPTTRule:
    """One optimizer over every parameter; the loss is cross-entropy of the output logits."""

    def __init__(self, network: LocalNetwork, optimizer: OptimizerFactory) -> None:
        self.network = network
        self.trainer = BPTTTrainer(network, optimizer)

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.trainer.optimizer]

    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        loss, out = self.trainer.compute_loss(images, labels)
        self.trainer.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.trainer.optimizer.step()
        logits = out.output.detach()
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
        )
