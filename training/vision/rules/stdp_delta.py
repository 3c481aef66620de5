"""The stdp-delta rule (competitive STDP + delta readout, our own; not Zhang et al.'s method).

Layer-wise: the hidden layer learns unsupervised, by competitive STDP, during the first epoch
(the layer below must settle before the one above it learns); the output layer then learns from
the teacher signal in every later epoch. Nothing here calls ``backward``; every update is a
function of the two sides of a synapse (see :mod:`snn_models.plasticity.competitive`).

Step sizes are the rule's own (the Adam ``--lr`` does not apply): ``HIDDEN_LR`` for STDP and
``OUTPUT_LR`` for the normalised teacher update, both decayed with the run's cosine schedule.
They were chosen on a validation split of the MNIST training images.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import LocalNetwork
from snn_models.plasticity import CompetitiveSTDPLayer, TeacherOutputLayer
from training.vision.rules.base import StepResult

HIDDEN_LR = 0.05
HIDDEN_LR_FLOOR = 0.005
OUTPUT_LR = 1.0
HIDDEN_EPOCHS = 1


class STDPDeltaRule:
    def __init__(self, network: LocalNetwork, epochs: int) -> None:
        hidden, output = (block.body for block in network.blocks)
        if not isinstance(hidden, CompetitiveSTDPLayer) or not isinstance(
            output, TeacherOutputLayer
        ):
            raise TypeError("the stdp-delta rule needs the network of build_stdp_delta_network")
        self.network = network
        self.hidden, self.output = hidden, output
        self.epochs = epochs
        self.epoch = 0
        self.batches_seen = 0
        self.batches_per_epoch: int | None = None

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return []

    def start_epoch(self, epoch: int, batches: int) -> None:
        """Called by the training loop before each 0-based epoch."""
        self.epoch = epoch
        self.batches_seen = 0
        self.batches_per_epoch = batches

    def _progress(self) -> float:
        """Fraction of the current stage done, for the cosine decay of step sizes."""
        per = self.batches_per_epoch or 1
        if self.epoch < HIDDEN_EPOCHS or self.epochs <= HIDDEN_EPOCHS:
            stage_epochs, offset = HIDDEN_EPOCHS, self.epoch
        else:
            stage_epochs, offset = self.epochs - HIDDEN_EPOCHS, self.epoch - HIDDEN_EPOCHS
        return min(1.0, (offset * per + self.batches_seen) / (stage_epochs * per))

    @torch.no_grad()
    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        x = self.network.encode(images)
        progress = self._progress()
        self.batches_seen += 1
        if self.epoch < HIDDEN_EPOCHS or self.epochs <= HIDDEN_EPOCHS:
            lr = HIDDEN_LR_FLOOR + (HIDDEN_LR - HIDDEN_LR_FLOOR) * (1 - progress)
            spikes = self.hidden.learn(x, lr)
        else:
            spikes = self.hidden(x)
        if self.epoch >= HIDDEN_EPOCHS or self.epochs <= HIDDEN_EPOCHS:
            lr = OUTPUT_LR * 0.5 * (1 + math.cos(math.pi * progress))
            logits = self.output.learn(spikes, labels, lr)
        else:
            logits = self.output(spikes)
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
        )
