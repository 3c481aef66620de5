"""Training steps for :class:`LocalNetwork`: layer-local (one optimizer per block) and BPTT."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from snn_models.local.block import BlockOutput, LocalLoss, LocalNetwork

__all__ = ["BPTTTrainer", "LocalTrainer", "OptimizerFactory"]

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def _trainable(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


class LocalTrainer:
    """Each block steps its own optimizer on its own loss.

    Backward passes are restricted to the block's own parameters (``backward(inputs=...)``), so
    even a custom loss that forgot to detach something cannot move another block's weights.

    >>> trainer = LocalTrainer(net, lambda params: torch.optim.Adam(params, lr=1e-3))
    >>> losses = trainer.step(x, labels)                 # built-in per-block losses
    >>> outs = net.forward_blocks(x)                     # or: your own losses
    >>> trainer.apply([my_loss(o, other.detach()) for o in outs])
    """

    def __init__(self, network: LocalNetwork, optimizer: OptimizerFactory) -> None:
        self.network = network
        self.parameters = [_trainable(block) for block in network.blocks]
        self.optimizers = [optimizer(params) if params else None for params in self.parameters]

    def step_block(self, index: int, loss: Tensor) -> None:
        """Back-propagate ``loss`` into block ``index`` only and step its optimizer."""
        optimizer = self.optimizers[index]
        if optimizer is None:
            return
        optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=self.parameters[index])
        optimizer.step()

    def apply(self, losses: Sequence[Tensor]) -> None:
        """Step every block on a caller-computed loss (one per block, in block order)."""
        if len(losses) != len(self.optimizers):
            raise ValueError(f"expected {len(self.optimizers)} losses, got {len(losses)}")
        for index, loss in enumerate(losses):
            self.step_block(index, loss)

    def step(self, x: Tensor, target: Any) -> list[float]:
        """Train every block once on ``(x, target)`` with its own loss; returns the losses.

        Block ``k``'s graph is released before block ``k + 1`` runs, so peak memory is that of
        the largest block, not of the whole network.
        """
        values = []
        for out in self.network.iter_blocks(x):
            loss = self.network.blocks[out.index].local_loss(out, target)
            self.step_block(out.index, loss)
            values.append(loss.detach())
            out.output = out.output.detach()
        return [float(v) for v in values]


class BPTTTrainer:
    """End-to-end baseline: one optimizer, gradients through every block and time step.

    The loss defaults to the last block's own loss, evaluated on its end-to-end outputs.
    """

    def __init__(
        self, network: LocalNetwork, optimizer: OptimizerFactory, loss: LocalLoss | None = None
    ) -> None:
        self.network = network
        self.optimizer = optimizer(_trainable(network))
        self.loss = loss

    def compute_loss(self, x: Tensor, target: Any) -> tuple[Tensor, BlockOutput]:
        out = self.network.end_to_end(x)
        loss_fn = self.loss or self.network.blocks[-1].local_loss
        return loss_fn(out, target), out

    def step(self, x: Tensor, target: Any) -> float:
        loss, _ = self.compute_loss(x, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())
