"""Dense synaptic integrations: linear, bilinear (rank-k) and shunting inhibition.

All map ``(..., in_features) -> (..., out_features)`` and share the batch-folding of
:class:`~snn_models.synapses.base.Synapse`. Each concatenates its weight matrices so one
matrix product serves all terms; on a CPU one large product beats several small ones.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snn_models.synapses.base import Synapse, init_like_linear
from snn_models.synapses.bilinear import BilinearTerm
from snn_models.synapses.shunting import ShuntingGates

__all__ = ["BilinearSynapse", "LinearSynapse", "ShuntingSynapse"]


class _DenseSynapse(Synapse):
    sample_dims = 1

    def __init__(self, in_features: int, out_features: int, bias: bool, spike_input: bool) -> None:
        super().__init__()
        self.spike_input = spike_input
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        init_like_linear(self.weight, in_features)
        if self.bias is not None:
            init_like_linear(self.bias, in_features)

    def _add_bias(self, current: Tensor) -> Tensor:
        return current if self.bias is None else current + self.bias

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LinearSynapse(_DenseSynapse):
    """``i = W x + b``: the ordinary weighted sum."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, spike_input: bool = False
    ) -> None:
        super().__init__(in_features, out_features, bias, spike_input)

    def integrate(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)


class BilinearSynapse(BilinearTerm, _DenseSynapse):
    """``i = W x + lambda * ((V x)^2 - (V^2)(x^2)) + b`` with ``V`` of rank ``k`` per neuron.

    Each neuron ``n`` adds the quadratic form ``x^T (sum_r v_nr v_nr^T - diag) x``: pairwise
    multiplicative interactions between inputs (so one neuron can compute XOR), at O(N*k)
    parameters instead of an N x N matrix per neuron. Subtracting ``(V^2)(x^2)`` removes the
    self-interactions ``x_i^2``, which for spikes (``x_i^2 = x_i``) would only duplicate the
    linear term. ``lambda`` is learned per neuron, initialised to ``lambda_init``.

    ``spike_input=True`` declares inputs to be 0/1, so ``x^2 = x`` and the diagonal term joins
    the single matrix product (valid only for binary inputs).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rank: int = 1,
        lambda_init: float = 0.1,
        bias: bool = True,
        spike_input: bool = False,
    ) -> None:
        super().__init__(in_features, out_features, bias, spike_input)
        if rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}")
        self.rank = rank
        # Row n * rank + r holds the r-th interaction vector of neuron n.
        self.interaction = nn.Parameter(torch.empty(out_features * rank, in_features))
        init_like_linear(self.interaction, in_features)
        self.interaction_gain = nn.Parameter(torch.full((out_features,), float(lambda_init)))

    def integrate(self, x: Tensor) -> Tensor:
        linear, interaction = self._linear_and_interaction(x, F.linear, dim=-1)
        return self._add_bias(torch.addcmul(linear, self.interaction_gain, interaction))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", rank={self.rank}, spike_input={self.spike_input}"


class ShuntingSynapse(ShuntingGates, _DenseSynapse):
    """``i = (W+ x) * sigmoid(kappa V+ x) + (W- x) * sigmoid(kappa V- x) + b`` (``gate="both"``).

    ``W+ = relu(W)`` and ``W- = -relu(-W)`` split one weight into excitation and inhibition;
    each pathway is gated (divisively, "shunted") by its own learned sigmoid of the input, so
    an input can veto what others excite; that non-monotonic response is what lets a single
    neuron compute XOR. ``kappa`` sets the gate's steepness. ``gate`` selects an ablation of
    the gate (``shared``, ``excitatory``, ``inhibitory``, ``divisive``, ``none``); see
    :mod:`snn_models.synapses.shunting` for their definitions.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kappa: float = 1.0,
        bias: bool = True,
        spike_input: bool = False,
        gate: str = "both",
    ) -> None:
        super().__init__(in_features, out_features, bias, spike_input)
        self._init_gates(gate, kappa, self._new_gate)

    def _new_gate(self) -> nn.Parameter:
        matrix = nn.Parameter(torch.empty(self.out_features, self.in_features))
        init_like_linear(matrix, self.in_features)
        return matrix

    def integrate(self, x: Tensor) -> Tensor:
        if self.gate_kind == "none":  # bias fused as in LinearSynapse: bit for bit the same
            return F.linear(x, self.weight, self.bias)
        return self._add_bias(self._gated_current(x, F.linear, dim=-1))

    def extra_repr(self) -> str:
        return super().extra_repr() + self._gate_repr()
