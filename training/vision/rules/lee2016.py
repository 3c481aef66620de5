"""Seed 001's rule: Lee, Delbruck & Pfeiffer (2016), one aggregate-rate backward per batch.

:meth:`snn_models.plasticity.Lee2016Network.set_gradients` writes every weight's and threshold's
gradient (no autograd); this rule steps Adam with the thresholds at a tenth of the weights'
learning rate (the paper's ``eta_th = 0.1 eta_w``), then applies the threshold regulariser.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import LocalNetwork
from snn_models.plasticity import Lee2016Network, regularise_thresholds
from training.vision.config import Lee2016Settings
from training.vision.rules.base import StepResult

THRESHOLD_LR_RATIO = 0.1


class Lee2016Rule:
    def __init__(self, network: LocalNetwork, lr: float, settings: Lee2016Settings) -> None:
        (block,) = network.blocks
        if not isinstance(block.body, Lee2016Network):
            raise TypeError("the rule needs the network of build_lee2016_network")
        self.network, self.body, self.settings = network, block.body, settings
        self.optimizer = torch.optim.Adam(
            [
                {"params": list(self.body.weights), "lr": lr, "lr_ratio": 1.0},
                {
                    "params": list(self.body.thresholds),
                    "lr": THRESHOLD_LR_RATIO * lr,
                    "lr_ratio": THRESHOLD_LR_RATIO,
                },
            ]
        )

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.optimizer]

    def start_epoch(self, epoch: int, batches: int) -> None:
        """The loop sets every group to the epoch's rate; keep the thresholds at a tenth."""
        for group in self.optimizer.param_groups:
            group["lr"] = group["lr"] * group["lr_ratio"]

    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        events = self.network.encode(images)
        target = F.one_hot(labels, self.body.sizes[-1]).to(events.dtype)
        loss, logits, fired = self.body.set_gradients(
            events, target, beta=self.settings.weight_beta, lam=self.settings.weight_lambda
        )
        self.optimizer.step()
        with torch.no_grad():
            for layer, mask in enumerate(fired):
                regularise_thresholds(
                    self.body.thresholds[layer],
                    self.body.weights[layer],
                    mask,
                    self.settings.rho,
                    self.body.floor(layer),
                )
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
        )
