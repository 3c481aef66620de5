"""The membrane-bptt variant: BPTT through a membrane pass-through gradient, regularised.

The network's hidden dense layers hold :class:`snn_models.plasticity.MembraneBPTTLIF` neurons (membrane
pass-through gradient, winner-take-all, refractory period), built by
:func:`training.vision.networks.build_network` for ``--rule membrane-bptt``. This rule adds the two
regularisers of the paper's Sec. 2.4: the exponential penalty on every synapse's incoming weight
norms in the loss, and the threshold update after each optimizer step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models import BPTTTrainer, LocalNetwork
from snn_models.local import OptimizerFactory
from snn_models.plasticity import MembraneBPTTLIF, exponential_weight_penalty
from training.vision.config import MembraneBPTTSettings
from training.vision.rules.base import StepResult


class MembraneBPTTRule:
    def __init__(
        self, network: LocalNetwork, optimizer: OptimizerFactory, settings: MembraneBPTTSettings
    ) -> None:
        self.network = network
        self.trainer = BPTTTrainer(network, optimizer)
        self.settings = settings
        self.neurons = [m for m in network.modules() if isinstance(m, MembraneBPTTLIF)]
        # Every synaptic weight matrix (rows = postsynaptic neurons); norms and biases excluded;
        # with weight_layers="hidden" the output block's are left out.
        blocks = network.blocks if settings.weight_layers == "all" else network.blocks[:-1]
        self.weights = [
            p for name, p in blocks.named_parameters() if name.endswith("weight") and p.dim() >= 2
        ]

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.trainer.optimizer]

    def weight_penalty(self) -> Tensor:
        """Sum of the exponential penalties of every weight matrix (on the weights' device)."""
        return torch.stack(
            [
                exponential_weight_penalty(
                    w, beta=self.settings.weight_beta, lam=self.settings.weight_lambda
                )
                for w in self.weights
            ]
        ).sum()

    def train_batch(self, images: Tensor, labels: Tensor) -> StepResult:
        loss, out = self.trainer.compute_loss(images, labels)
        if self.settings.weight_lambda > 0:
            loss = loss + self.weight_penalty()
        self.trainer.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.trainer.optimizer.step()
        for neuron in self.neurons:
            neuron.regularise_thresholds()
        logits = out.output.detach()
        return StepResult(
            loss=float(F.cross_entropy(logits, labels)),
            correct=int((logits.argmax(1) == labels).sum()),
        )
