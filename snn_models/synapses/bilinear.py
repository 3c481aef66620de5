"""The bilinear term shared by the dense and the convolutional bilinear synapses.

``lambda * ((V x)^2 - (V^2)(x^2))`` is computed from one product with the stacked weights
``[W; V; (V^2 if the input is spikes)]``, where the product is a matrix product for dense layers
and a convolution for conv layers. Keeping it here means both layers compute the same formula and
share the inference cache of the stacked weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Product = Callable[[Tensor, Tensor], Tensor]


def self_interaction(interaction: Tensor, rank: int) -> Tensor:
    """``sum_r v_nr^2`` per output (rows of ``interaction`` grouped ``rank`` per output): the
    diagonal ``(V^2)(x^2)`` to remove, so the pairwise term has no ``x_i^2`` self-pairs.

    Module-level so that a frozen copy of the weights (serving) removes
    exactly the diagonal the trained module removed."""
    n_out = interaction.shape[0] // rank
    return interaction.square().unflatten(0, (n_out, rank)).sum(1)


def square(x: Tensor) -> Tensor:
    """``x²`` element-wise, also for a sparse CSR input (wide, mostly-zero rows such as a
    recommender's rated-item bag, whose product with a weight matrix is far cheaper in CSR
    than in COO form; ``Tensor.square`` does not take that layout)."""
    if x.layout == torch.sparse_csr:
        return torch.sparse_csr_tensor(
            x.crow_indices(), x.col_indices(), x.values().square(), x.shape, check_invariants=False
        )
    return x.square()


class BilinearTerm:
    """Mixin for a :class:`~snn_models.synapses.base.Synapse` with parameters ``weight``,
    ``interaction`` (``n_out * rank`` rows) and ``interaction_gain`` and attributes ``rank`` and
    ``spike_input``."""

    weight: torch.nn.Parameter
    interaction: torch.nn.Parameter
    rank: int
    spike_input: bool
    # True keeps the self-pairs x_i^2 in the interaction, i.e. lambda (V x)^2 without the
    # diagonal correction: an ablation that asks what removing the self-pairs is worth
    keep_self_terms: bool = False
    _inference_cache: tuple[tuple, Tensor, Tensor | None] | None = None

    def __getstate__(self) -> dict:
        state = super().__getstate__()  # type: ignore[misc]
        state["_inference_cache"] = None  # derived from the weights; never worth pickling
        return state

    def _stacked_weights(self) -> tuple[Tensor, Tensor | None]:
        """The stacked weights (and the diagonal for analog input).

        Building them copies every weight, which for a wide layer fed one sample (serving one
        user) costs more than the product itself. Without autograd the result is cached until a
        weight changes (an optimizer step or ``load_state_dict`` bumps the tensor's version).
        """
        if torch.is_grad_enabled():
            self._inference_cache = None
            return self._build_stacked()
        key = tuple(
            (p.data_ptr(), p._version, p.device, p.dtype) for p in (self.weight, self.interaction)
        ) + (self.spike_input,)
        if self._inference_cache is None or self._inference_cache[0] != key:
            self._inference_cache = (key, *self._build_stacked())
        return self._inference_cache[1], self._inference_cache[2]

    def _build_stacked(self) -> tuple[Tensor, Tensor | None]:
        diagonal = self_interaction(self.interaction, self.rank)
        if self.spike_input:
            return torch.cat([self.weight, self.interaction, diagonal]), None
        return torch.cat([self.weight, self.interaction]), diagonal

    def _linear_and_interaction(
        self, x: Tensor, product: Product, dim: int
    ) -> tuple[Tensor, Tensor]:
        """``(W x, (V x)^2 - (V^2)(x^2))`` with outputs along ``dim`` (-1 dense, 1 conv);
        ``(W x, (V x)^2)`` when ``keep_self_terms`` is set."""
        n = self.weight.shape[0]
        stacked, self_interaction = self._stacked_weights()
        projected = product(x, stacked)
        linear = projected.narrow(dim, 0, n)
        interactions = projected.narrow(dim, n, n * self.rank)
        rank_dim = dim + 1 if dim >= 0 else dim
        pairwise = interactions.unflatten(dim, (n, self.rank)).square().sum(rank_dim)
        if self.keep_self_terms:
            return linear, pairwise
        if self.spike_input:
            diagonal = projected.narrow(dim, n * (1 + self.rank), n)
        else:
            diagonal = product(square(x), self_interaction)
        return linear, pairwise - diagonal
