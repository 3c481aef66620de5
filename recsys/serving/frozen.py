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

The derived matrices are also what an artifact stores beside the weights (``serving/*.npy``,
:mod:`recsys.serving.artifact`): built from those stored arrays (``stored=``), a web process
reads read-only maps of the files instead of computing a private copy, so every process on a
host shares one copy in the page cache. ``arrays()`` gives them by name for writing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from snn_models import BilinearSynapse, LinearSynapse
from snn_models.synapses.bilinear import self_interaction

#: Frozen matrices by name, as :meth:`FrozenIntegrator.arrays` gives them and an artifact stores.
FrozenArrays = Mapping[str, np.ndarray]


class FrozenArraysMismatch(ValueError):
    """Stored frozen arrays that are not what freezing these weights gives (shape or type)."""


def tensor_over(array: np.ndarray) -> Tensor:
    """A tensor over the array's memory, no copy. A read-only map of an artifact file stays
    read-only: nothing in serving writes to frozen weights."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


def part(arrays: FrozenArrays | None, prefix: str) -> dict[str, np.ndarray] | None:
    """The arrays named ``prefix…``, without the prefix (None stays None)."""
    if arrays is None:
        return None
    return {name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)}


def prefixed(arrays: FrozenArrays, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}{name}": array for name, array in arrays.items()}


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

    def arrays(self) -> dict[str, np.ndarray]:
        found = {"weight_t": self._weight_t_np}
        if self._bias_np is not None:
            found["bias"] = self._bias_np
        return found

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

    def arrays(self) -> dict[str, np.ndarray]:
        found = {
            "stacked_t": self._stacked_t_np,
            "diagonal_t": self._diagonal_t_np,
            "gain": self._gain_np,
        }
        if self._bias_np is not None:
            found["bias"] = self._bias_np
        return found

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


def frozen_synapse(
    synapses: list[nn.Module], stored: FrozenArrays | None = None
) -> _FrozenLinear | _FrozenBilinear:
    """The frozen current of one synapse, or of several of one kind and shape side by side;
    from ``stored`` arrays (no copy) when given, else derived from the weights."""
    if not can_merge_synapses(synapses):
        kinds = sorted({type(s).__name__ for s in synapses})
        raise ValueError(f"cannot freeze {kinds} synapses side by side")
    if stored is not None:
        return _from_stored(synapses, stored)
    if isinstance(synapses[0], BilinearSynapse):
        return _FrozenBilinear.merged(synapses)
    return _FrozenLinear.merged(synapses)


def _from_stored(
    synapses: list[nn.Module], stored: FrozenArrays
) -> _FrozenLinear | _FrozenBilinear:
    """Frozen synapses over stored arrays, refused unless they have exactly the shapes and
    type that freezing these synapses' weights gives."""
    first = synapses[0]
    n_in, n_out = first.in_features, sum(s.out_features for s in synapses)
    bilinear = isinstance(first, BilinearSynapse)
    shapes = (
        {
            "stacked_t": (n_in, n_out * (1 + first.rank)),
            "diagonal_t": (n_in, n_out),
            "gain": (n_out,),
        }
        if bilinear
        else {"weight_t": (n_in, n_out)}
    )
    if all(s.bias is not None for s in synapses):
        shapes["bias"] = (n_out,)
    dtype = torch.empty(0, dtype=first.weight.dtype).numpy().dtype
    found = {name: (tuple(a.shape), a.dtype) for name, a in stored.items()}
    if found != {name: (shape, dtype) for name, shape in shapes.items()}:
        raise FrozenArraysMismatch(
            f"stored frozen arrays {found} do not fit {type(first).__name__} weights "
            f"(expected {shapes}, {dtype})"
        )
    tensors = {name: tensor_over(stored[name]) for name in shapes}
    if bilinear:
        return _FrozenBilinear(
            tensors["stacked_t"],
            tensors["diagonal_t"],
            tensors["gain"],
            tensors.get("bias"),
            first.rank,
            first.spike_input,
        )
    return _FrozenLinear(tensors["weight_t"], tensors.get("bias"))


class FrozenIntegrator:
    """An ``integrate(synapse, x)`` for :meth:`SpikingTower.run_blocks` over frozen weights.

    Build it after the weights are final (it copies what it needs, or reads ``stored``
    arrays named ``<synapse's module name>.<array>``, as :meth:`arrays` gives them); synapse
    kinds it does not know fall back to the module's own ``integrate``.
    """

    def __init__(self, module: nn.Module, stored: FrozenArrays | None = None) -> None:
        self._frozen: dict[int, _FrozenLinear | _FrozenBilinear] = {}
        self._names: dict[int, str] = {}
        with torch.no_grad():
            for name, synapse in module.named_modules():
                if isinstance(synapse, BilinearSynapse | LinearSynapse):
                    mine = part(stored, f"{name}.")
                    mine = None if mine is None else {k: a for k, a in mine.items() if "." not in k}
                    self._frozen[id(synapse)] = frozen_synapse([synapse], mine or None)
                    self._names[id(synapse)] = name

    def arrays(self) -> dict[str, np.ndarray]:
        """Every frozen matrix by name, what ``stored`` takes back."""
        found = {}
        for key, frozen in self._frozen.items():
            found.update(prefixed(frozen.arrays(), f"{self._names[key]}."))
        return found

    def __call__(self, synapse: nn.Module, x: Tensor) -> Tensor:
        frozen = self._frozen.get(id(synapse))
        if frozen is None or x.dim() != 2 or x.is_sparse:
            return synapse.integrate(x)
        return frozen(x)
