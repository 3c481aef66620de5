"""Serving-time synaptic integration, with everything that depends only on the weights done once.

A synapse module rebuilds matrices from its weights on every call: the bilinear synapse
concatenates ``W`` and ``V`` and squares ``V`` for its self-interaction term. While training
that is right (the weights change every step); at serving time the weights never change and
that rebuilding is most of the cost of a one-user request. :class:`FrozenIntegrator` builds
them once per loaded model and evaluates the same formula (tests check it matches the module).

A request row is also very sparse (tens of rated movies among ~1,700 bag slots), so currents
are computed from the input's non-zero columns only: a gather of a few rows of each matrix
instead of a product with all of them. For a single row, :meth:`_FrozenLinear.one_row` and
:meth:`_FrozenBilinear.one_row` do the same in NumPy: a one-user request is a dozen small
operations, and torch's per-operation dispatch (~5-10 µs each) costs more than their arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from snn_models import BilinearSynapse, LinearSynapse
from snn_models.synapses.bilinear import self_interaction


def _project(x: Tensor, matrix_t: Tensor) -> Tensor:
    """``x @ matrix_t`` using only the columns of ``x`` that hold a non-zero somewhere."""
    columns = torch.nonzero(x.ne(0).any(0)).squeeze(1)
    if len(columns) * 2 > x.shape[1]:
        return x @ matrix_t
    return x.index_select(1, columns) @ matrix_t.index_select(0, columns)


def _active(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(non-zero columns, their values) of one input row."""
    columns = np.flatnonzero(row)
    return columns, row[columns]


class _FrozenLinear:
    """``W x + b`` with ``Wᵀ`` laid out for gathering the rows of a request's non-zero inputs."""

    def __init__(self, weight_t: Tensor, bias: Tensor | None) -> None:
        self.weight_t = weight_t
        self.bias = bias
        self._weight_t_np = self.weight_t.numpy()  # views of the same memory
        self._bias_np = None if self.bias is None else self.bias.numpy()

    @classmethod
    def of(cls, weight: Tensor, bias: Tensor | None) -> _FrozenLinear:
        """Frozen copies of a synapse's weight and bias."""
        return cls(weight.detach().T.contiguous(), None if bias is None else bias.detach().clone())

    @classmethod
    def merged(cls, synapses: list[LinearSynapse]) -> _FrozenLinear:
        """Synapses reading the same input, their outputs side by side."""
        biases = [s.bias for s in synapses]
        bias = None if any(b is None for b in biases) else torch.cat(biases)
        return cls.of(torch.cat([s.weight for s in synapses]), bias)

    def __call__(self, x: Tensor) -> Tensor:
        current = _project(x, self.weight_t)
        return current if self.bias is None else current + self.bias

    def one_row(self, row: np.ndarray) -> np.ndarray:
        """``self(x)`` for one (n_in,) float32 row, in NumPy."""
        columns, values = _active(row)
        current = values @ self._weight_t_np[columns]
        return current if self._bias_np is None else current + self._bias_np


class _FrozenBilinear:
    """``W x + λ ⊙ ((V x)² − (V²)(x²)) + b`` with ``[W; V]`` and ``V²`` precomputed."""

    def __init__(
        self,
        stacked_t: Tensor,
        diagonal_t: Tensor,
        gain: Tensor,
        bias: Tensor | None,
        rank: int,
        spike_input: bool,
    ) -> None:
        self.n, self.rank = diagonal_t.shape[1], rank
        self.stacked_t = stacked_t
        self.diagonal_t = diagonal_t
        self.gain = gain
        self.bias = bias
        self.spike_input = spike_input
        self._stacked_t_np = self.stacked_t.numpy()  # views of the same memory
        self._diagonal_t_np = self.diagonal_t.numpy()
        self._gain_np = self.gain.numpy()
        self._bias_np = None if self.bias is None else self.bias.numpy()

    @classmethod
    def of(
        cls,
        weight: Tensor,
        interaction: Tensor,
        gain: Tensor,
        bias: Tensor | None,
        rank: int,
        spike_input: bool,
    ) -> _FrozenBilinear:
        """``[W; V]ᵀ`` and ``(V²)ᵀ`` computed from a synapse's weights, frozen copies of the rest."""
        interaction = interaction.detach()
        return cls(
            torch.cat([weight.detach(), interaction]).T.contiguous(),
            self_interaction(interaction, rank).T.contiguous(),
            gain.detach().clone(),
            None if bias is None else bias.detach().clone(),
            rank,
            spike_input,
        )

    @classmethod
    def merged(cls, synapses: list[BilinearSynapse]) -> _FrozenBilinear:
        """Synapses reading the same input, their outputs side by side. ``V`` keeps its rows
        grouped by output neuron, so stacking the synapses' ``V`` keeps the grouping."""
        first = synapses[0]
        biases = [s.bias for s in synapses]
        return cls.of(
            torch.cat([s.weight for s in synapses]),
            torch.cat([s.interaction for s in synapses]),
            torch.cat([s.interaction_gain for s in synapses]),
            None if any(b is None for b in biases) else torch.cat(biases),
            first.rank,
            first.spike_input,
        )

    def __call__(self, x: Tensor) -> Tensor:
        projected = _project(x, self.stacked_t)
        linear = projected[:, : self.n]
        pairwise = projected[:, self.n :].unflatten(-1, (self.n, self.rank)).square().sum(-1)
        # For 0/1 spikes x² = x (what the module's spike_input mode relies on too).
        diagonal = _project(x if self.spike_input else x.square(), self.diagonal_t)
        current = torch.addcmul(linear, self.gain, pairwise - diagonal)
        return current if self.bias is None else current + self.bias

    def one_row(self, row: np.ndarray) -> np.ndarray:
        """``self(x)`` for one (n_in,) float32 row, in NumPy (the same formula, term by term)."""
        columns, values = _active(row)
        projected = values @ self._stacked_t_np[columns]
        linear = projected[: self.n]
        pairwise = np.square(projected[self.n :].reshape(self.n, self.rank)).sum(-1)
        squared = values if self.spike_input else np.square(values)
        diagonal = squared @ self._diagonal_t_np[columns]
        current = linear + self._gain_np * (pairwise - diagonal)
        return current if self._bias_np is None else current + self._bias_np


def can_merge_synapses(synapses: list[nn.Module]) -> bool:
    """Whether ``synapses`` can run side by side: one kind, one input width (and one rank)."""
    kinds = {type(s) for s in synapses}
    if kinds == {BilinearSynapse}:
        return len({(s.rank, s.spike_input, s.in_features) for s in synapses}) == 1
    if kinds == {LinearSynapse}:
        return len({s.in_features for s in synapses}) == 1
    return False


def frozen_synapse(synapses: list[nn.Module]) -> Callable[[Tensor], Tensor]:
    """The frozen current of one synapse, or of several of one kind and shape side by side."""
    if not can_merge_synapses(synapses):
        kinds = sorted({type(s).__name__ for s in synapses})
        raise ValueError(f"cannot freeze {kinds} synapses side by side")
    if isinstance(synapses[0], BilinearSynapse):
        return _FrozenBilinear.merged(synapses)
    return _FrozenLinear.merged(synapses)


class FrozenIntegrator:
    """An ``integrate(synapse, x)`` for :meth:`SpikingTower.run_blocks` over frozen weights.

    Build it after the weights are final (it copies what it needs); synapse kinds it does not
    know fall back to the module's own ``integrate``.
    """

    def __init__(self, module: nn.Module) -> None:
        self._frozen: dict[int, Callable[[Tensor], Tensor]] = {}
        with torch.no_grad():
            for synapse in module.modules():
                if isinstance(synapse, BilinearSynapse | LinearSynapse):
                    self._frozen[id(synapse)] = frozen_synapse([synapse])

    def __call__(self, synapse: nn.Module, x: Tensor) -> Tensor:
        frozen = self._frozen.get(id(synapse))
        if frozen is None or x.dim() != 2 or x.is_sparse:
            return synapse.integrate(x)
        return frozen(x)
