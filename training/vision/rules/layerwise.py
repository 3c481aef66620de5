"""Block-local training: the local hybrid loss and the HSIC bottleneck.

Each block sees its input detached and steps its own optimizer on its own loss, so no gradient
crosses a block boundary and no block waits for the layers above it. The output block is a
classifier trained by cross-entropy on the last hidden block's (detached) spikes, which is how
the HSIC bottleneck reads out its representation and what the local rule's top layer does too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import LocalNetwork, LocalTrainer
from snn_models.local import OptimizerFactory
from training.vision.rules.base import StepResult


class LayerwiseRule:
    def __init__(self, network: LocalNetwork, optimizer: OptimizerFactory) -> None:
        self.network = network
        self.trainer = LocalTrainer(network, optimizer)

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [opt for opt in self.trainer.optimizers if opt is not None]

    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        block_losses = []
        logits = None
        for out in self.network.iter_blocks(images):
            loss = self.network.blocks[out.index].local_loss(out, labels)
            self.trainer.step_block(out.index, loss)
            block_losses.append(float(loss.detach()))
            # Release this block's graph before the next block runs.
            out.output = out.output.detach()
            logits = out.output
        assert logits is not None
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
            block_losses=tuple(block_losses),
        )
