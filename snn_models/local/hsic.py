"""Hilbert-Schmidt independence criterion (HSIC) and the HSIC-bottleneck objective.

``HSIC(K, L) = tr(K H L H) / (B - 1)^2`` with ``H = I - 1/B`` measures statistical dependence
between two batches through their Gram matrices. Since ``H`` is idempotent,
``tr(K H L H) = sum((H K H) * L)``: one centring and one element-wise product, O(B^2) memory
and time given the Gram matrices (never a B x B x B product).

The HSIC bottleneck (Ma, Lewis & Kleijn, 2020) trains each block without back-propagation
between blocks by making its representation ``Z`` forget the input ``X`` and keep the label
``Y``: minimise ``HSIC(X, Z) - beta * HSIC(Y, Z)``. The normalised form (divided by the
self-dependences, so it lies in [0, 1]) is the default, as in the paper.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_models.local.kernels import CosineKernel, Kernel, get_kernel

__all__ = ["HSICBottleneckLoss", "center_gram", "hsic", "normalized_hsic", "unbiased_hsic"]

_EPS = 1e-12


def center_gram(gram: Tensor) -> Tensor:
    """``H K H``: subtract row and column means, add back the grand mean."""
    return gram - gram.mean(0, keepdim=True) - gram.mean(1, keepdim=True) + gram.mean()


def hsic(gram_x: Tensor, gram_y: Tensor) -> Tensor:
    """Biased empirical HSIC of two ``(B, B)`` Gram matrices."""
    batch = gram_x.shape[0]
    return (center_gram(gram_x) * gram_y).sum() / (batch - 1) ** 2


def unbiased_hsic(gram_x: Tensor, gram_y: Tensor) -> Tensor:
    """Unbiased HSIC estimator (Song et al., 2012): zero in expectation for independent data.

    The biased estimator is positive by O(1/B) even for independent batches; use this one to
    test for independence, the biased (normalised) one as a training signal.
    """
    n = gram_x.shape[0]
    if n < 4:
        raise ValueError("the unbiased HSIC estimator needs a batch of at least 4")
    kx = gram_x - torch.diag_embed(torch.diagonal(gram_x))
    ky = gram_y - torch.diag_embed(torch.diagonal(gram_y))
    trace_term = (kx * ky).sum()
    sums_term = kx.sum() * ky.sum() / ((n - 1) * (n - 2))
    cross_term = 2.0 / (n - 2) * (kx.sum(0) * ky.sum(0)).sum()
    return (trace_term + sums_term - cross_term) / (n * (n - 3))


def normalized_hsic(gram_x: Tensor, gram_y: Tensor) -> Tensor:
    """``HSIC(X, Y) / sqrt(HSIC(X, X) HSIC(Y, Y))`` in [0, 1]; 1 for identical batches."""
    cx, cy = center_gram(gram_x), center_gram(gram_y)
    cross = (cx * cy).sum()
    scale = torch.sqrt((cx * cx).sum() * (cy * cy).sum()).clamp(min=_EPS)
    return cross / scale


def _rates(x: Tensor, time_major: bool) -> Tensor:
    """A spiking sequence ``(T, B, ...)`` becomes per-sample rates ``(B, D)``."""
    if time_major:
        x = x.float().mean(0) if not x.is_floating_point() else x.mean(0)
    return x.reshape(x.shape[0], -1)


class HSICBottleneckLoss:
    """Per-block loss ``HSIC(X, Z) - beta * HSIC(Y, Z)`` for :class:`~snn_models.local.LocalBlock`.

    ``X`` is the network input, ``Z`` the block's output (spike rates over time) and ``Y`` the
    one-hot labels. ``kernel`` (name or instance) is used for ``X`` and ``Z``; labels use the
    cosine kernel, for which two samples are similar exactly when they share a class.
    """

    def __init__(
        self,
        num_classes: int,
        beta: float = 100.0,
        kernel: str | Kernel = "gaussian",
        normalized: bool = True,
        **kernel_params: Any,
    ) -> None:
        self.num_classes = num_classes
        self.beta = float(beta)
        self.kernel = get_kernel(kernel, **kernel_params)
        self.label_kernel = CosineKernel()
        self.normalized = normalized

    def terms(self, network_input: Tensor, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """``(HSIC(X, Z), HSIC(Y, Z))`` for time-major ``network_input`` and ``output``."""
        measure = normalized_hsic if self.normalized else hsic
        gram_z = self.kernel(_rates(output, time_major=True))
        gram_x = self.kernel(_rates(network_input, time_major=True))
        labels = F.one_hot(target, self.num_classes).to(gram_z.dtype)
        gram_y = self.label_kernel(labels)
        return measure(gram_x, gram_z), measure(gram_y, gram_z)

    def __call__(self, block_output: Any, target: Tensor) -> Tensor:
        with_input, with_label = self.terms(block_output.network_input, block_output.output, target)
        return with_input - self.beta * with_label

    def __repr__(self) -> str:
        return (
            f"HSICBottleneckLoss(beta={self.beta}, kernel={self.kernel}, "
            f"normalized={self.normalized})"
        )
