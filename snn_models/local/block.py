"""Networks built from blocks that learn locally: no gradient ever crosses a block boundary.

Each :class:`LocalBlock` receives its input detached, so the autograd graph of a block ends at
its own input. It owns an auxiliary ``head`` (and optionally a ``decoder``) and a loss; the
loss is any callable ``loss(block_output, target) -> Tensor``, so a recommender can rank
against another tower's output while a classifier uses :class:`HybridLocalLoss` or
:class:`HSICBottleneckLoss`. The same blocks chained without detaching form the end-to-end
network used for inference and for the back-propagation-through-time baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

__all__ = ["BlockOutput", "LocalBlock", "LocalLoss", "LocalNetwork"]


@dataclass
class BlockOutput:
    """Everything a local loss may look at for one block.

    ``input`` and ``network_input`` are detached; ``output``, ``head`` and ``reconstruction``
    carry the block's own graph (and nothing upstream of it).
    """

    index: int
    input: Tensor
    output: Tensor
    head: Tensor | None
    reconstruction: Tensor | None
    network_input: Tensor
    embedding: Tensor | None = None


LocalLoss = Callable[[BlockOutput, Any], Tensor]


class LocalBlock(nn.Module):
    """A ``body`` (layers) plus what it is trained by: ``head``, optional ``decoder`` and
    ``embedding`` (the similarity loss's ``E_theta``), ``loss``.

    ``loss`` must be picklable (a class instance or module-level function, not a lambda) for the
    block to survive ``torch.save``.
    """

    def __init__(
        self,
        body: nn.Module,
        head: nn.Module | None = None,
        loss: LocalLoss | None = None,
        decoder: nn.Module | None = None,
        embedding: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.body = body
        self.head = head
        self.decoder = decoder
        self.embedding = embedding
        self.loss = loss

    def forward(self, x: Tensor) -> Tensor:
        """The body alone, gradients flowing into ``x``: the end-to-end path."""
        return self.body(x)

    def run(self, x: Tensor, network_input: Tensor | None = None, index: int = 0) -> BlockOutput:
        """Forward for local training: detach the input, then body, head and decoder."""
        x = x.detach()
        output = self.body(x)
        return self._outputs(index, x, output, network_input if network_input is not None else x)

    def _outputs(self, index: int, x: Tensor, output: Tensor, network_input: Tensor) -> BlockOutput:
        return BlockOutput(
            index=index,
            input=x,
            output=output,
            head=self.head(output) if self.head is not None else None,
            reconstruction=self.decoder(output) if self.decoder is not None else None,
            network_input=network_input.detach(),
            embedding=self.embedding(output) if self.embedding is not None else None,
        )

    def local_loss(self, block_output: BlockOutput, target: Any) -> Tensor:
        if self.loss is None:
            raise ValueError(
                f"block {block_output.index} has no loss; pass loss=... or compute it yourself"
            )
        return self.loss(block_output, target)


class LocalNetwork(nn.Module):
    """An optional encoder followed by :class:`LocalBlock` s.

    ``forward(x)`` is the plain end-to-end network. ``forward_blocks(x)`` runs every block on
    the detached output of the previous one and returns their :class:`BlockOutput` s, for
    callers that compute their own per-block losses (see :class:`LocalTrainer.apply`).
    """

    def __init__(self, blocks: Sequence[LocalBlock], encoder: nn.Module | None = None) -> None:
        super().__init__()
        if not blocks:
            raise ValueError("a local network needs at least one block")
        self.encoder = encoder
        self.blocks = nn.ModuleList(blocks)

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x) if self.encoder is not None else x

    def forward(self, x: Tensor) -> Tensor:
        h = self.encode(x)
        for block in self.blocks:
            h = block(h)
        return h

    def iter_blocks(self, x: Tensor) -> Iterator[BlockOutput]:
        """Lazily run the blocks locally; consume one before the next runs (saves memory)."""
        network_input = self.encode(x).detach()
        h = network_input
        for index, block in enumerate(self.blocks):
            out = block.run(h, network_input, index)
            yield out
            h = out.output

    def forward_blocks(self, x: Tensor) -> list[BlockOutput]:
        """Every block's outputs, each with its own graph."""
        return list(self.iter_blocks(x))

    def end_to_end(self, x: Tensor) -> BlockOutput:
        """The last block's outputs with gradients flowing through every block (BPTT)."""
        network_input = self.encode(x)
        h = network_input
        for block in self.blocks[:-1]:
            h = block(h)
        last = self.blocks[-1]
        return last._outputs(len(self.blocks) - 1, h, last.body(h), network_input)
