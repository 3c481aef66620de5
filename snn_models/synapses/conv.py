"""Convolutional synaptic integrations: the dense ones with every product replaced by a 2-D
convolution, so each output channel is one neuron type shared over positions.

Input ``(B, C, H, W)`` for one step or ``(T, B, C, H, W)`` for a sequence (folded into one
``(T*B, ...)`` convolution). ``lambda`` of the bilinear variant is per output channel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

from snn_models.synapses.base import Synapse, init_like_linear
from snn_models.synapses.bilinear import BilinearTerm
from snn_models.synapses.shunting import ShuntingGates

__all__ = ["BilinearConv2dSynapse", "Conv2dSynapse", "ShuntingConv2dSynapse"]

IntOrPair = int | tuple[int, int]


class _ConvSynapse(Synapse):
    sample_dims = 3

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair,
        padding: IntOrPair,
        dilation: IntOrPair,
        bias: bool,
        spike_input: bool,
    ) -> None:
        super().__init__()
        self.spike_input = spike_input
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.weight = self._new_kernel(out_channels)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        if self.bias is not None:
            init_like_linear(self.bias, self.fan_in)

    def _new_kernel(self, rows: int) -> nn.Parameter:
        kernel = nn.Parameter(torch.empty(rows, self.in_channels, *self.kernel_size))
        init_like_linear(kernel, self.fan_in)
        return kernel

    def _conv(self, x: Tensor, kernel: Tensor, bias: Tensor | None = None) -> Tensor:
        return F.conv2d(x, kernel, bias, self.stride, self.padding, self.dilation)

    def _add_bias(self, current: Tensor) -> Tensor:
        return current if self.bias is None else current + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


class Conv2dSynapse(_ConvSynapse):
    """``i = W * x + b``: ordinary convolution."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        bias: bool = True,
        spike_input: bool = False,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, bias, spike_input
        )

    def integrate(self, x: Tensor) -> Tensor:
        return self._conv(x, self.weight, self.bias)


class BilinearConv2dSynapse(BilinearTerm, _ConvSynapse):
    """``i = W * x + lambda * ((V * x)^2 - (V^2) * (x^2)) + b``, rank ``k`` kernels per channel.

    The pairwise interactions are between inputs inside one receptive field; see
    :class:`~snn_models.synapses.dense.BilinearSynapse` for the reasoning.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        bias: bool = True,
        rank: int = 1,
        lambda_init: float = 0.1,
        spike_input: bool = False,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, bias, spike_input
        )
        if rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}")
        self.rank = rank
        self.interaction = self._new_kernel(out_channels * rank)
        self.interaction_gain = nn.Parameter(torch.full((out_channels,), float(lambda_init)))

    def integrate(self, x: Tensor) -> Tensor:
        linear, interaction = self._linear_and_interaction(x, self._conv, dim=1)
        gain = self.interaction_gain.view(1, -1, 1, 1)
        return self._add_bias(torch.addcmul(linear, gain, interaction))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", rank={self.rank}, spike_input={self.spike_input}"


class ShuntingConv2dSynapse(ShuntingGates, _ConvSynapse):
    """``i = (W+ * x) sigmoid(kappa V+ * x) + (W- * x) sigmoid(kappa V- * x) + b``.

    ``gate`` selects the same variants as the dense
    :class:`~snn_models.synapses.dense.ShuntingSynapse` (:mod:`snn_models.synapses.shunting`).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        bias: bool = True,
        kappa: float = 1.0,
        spike_input: bool = False,
        gate: str = "both",
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, bias, spike_input
        )
        self._init_gates(gate, kappa, lambda: self._new_kernel(out_channels))

    def integrate(self, x: Tensor) -> Tensor:
        if self.gate_kind == "none":  # bias fused as in Conv2dSynapse: bit for bit the same
            return self._conv(x, self.weight, self.bias)
        return self._add_bias(self._gated_current(x, self._conv, dim=1))

    def extra_repr(self) -> str:
        return super().extra_repr() + self._gate_repr()
