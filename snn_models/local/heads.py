"""Auxiliary heads that give a locally trained block something to be judged by.

They read the block's spikes ``(T, B, ...)`` through their rate, so a head adds no time loop
of its own. Conv outputs are average-pooled to a small grid first, keeping the head cheap
whatever the feature-map size (as in Nokland & Eidnes, 2019).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ClassifierHead", "ConvDecoder", "DenseDecoder", "SimilarityEmbedding"]


class ClassifierHead(nn.Module):
    """Spike rate -> (optional adaptive average pool) -> flatten -> linear logits ``(B, classes)``.

    ``in_features`` is the flattened size after pooling: ``features`` for dense blocks,
    ``channels * pool_to[0] * pool_to[1]`` for conv blocks.

    ``per_step=True`` reads the spikes of every step instead of their rate and returns logits
    ``(T, B, classes)``, for a loss that asks the block to be right at each step.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        pool_to: tuple[int, int] | None = None,
        per_step: bool = False,
    ) -> None:
        super().__init__()
        self.pool_to = pool_to
        self.per_step = per_step
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, spikes: Tensor) -> Tensor:
        if not self.per_step:
            return self._logits(spikes.mean(0))
        steps, batch = spikes.shape[0], spikes.shape[1]
        return self._logits(spikes.flatten(0, 1)).unflatten(0, (steps, batch))

    def _logits(self, activity: Tensor) -> Tensor:
        if self.pool_to is not None:
            activity = F.adaptive_avg_pool2d(activity, self.pool_to)
        return self.linear(activity.flatten(1))


class DenseDecoder(nn.Module):
    """Reconstructs the block's input rate ``(B, in_features)`` from its output rate."""

    def __init__(self, out_features: int, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(out_features, in_features)

    def forward(self, spikes: Tensor) -> Tensor:
        return self.linear(spikes.mean(0))


class ConvDecoder(nn.Module):
    """Reconstructs a conv block's input rate map: upsample by ``scale``, then a 3x3 conv."""

    def __init__(self, out_channels: int, in_channels: int, scale: int = 1) -> None:
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(out_channels, in_channels, kernel_size=3, padding=1)

    def forward(self, spikes: Tensor) -> Tensor:
        rate = spikes.mean(0)
        if self.scale != 1:
            rate = F.interpolate(rate, scale_factor=self.scale, mode="nearest")
        return self.conv(rate)


class SimilarityEmbedding(nn.Module):
    """``E_theta``: a learned map of the block's rate whose similarity matrix the similarity loss
    compares with the labels' (Nokland & Eidnes's "NeuralNet(H)", the Hu thesis's ``E_theta``).

    Why not the rate itself: the map lets the block keep features the labels do not sort,
    as long as one linear (dense) or 3x3 (conv) view of them does. Dense blocks:
    ``Linear(features, features)``; conv blocks (``channels`` given): a 3x3 conv keeping the
    channels, then the same pooling as the classifier head. Returns ``(B, D)``.
    """

    def __init__(
        self, features: int, channels: int | None = None, pool_to: tuple[int, int] | None = None
    ) -> None:
        super().__init__()
        self.pool_to = pool_to
        if channels is None:
            self.map: nn.Module = nn.Linear(features, features)
        else:
            self.map = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, spikes: Tensor) -> Tensor:
        embedded = self.map(spikes.mean(0))
        if self.pool_to is not None:
            embedded = F.adaptive_avg_pool2d(embedded, self.pool_to)
        return embedded.flatten(1)
