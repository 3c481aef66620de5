"""The shunting-inhibition gate and its ablation variants, shared by the dense and the conv
shunting synapses.

One weight ``W`` is split into excitation ``W+ = relu(W)`` and inhibition ``W- = W - W+``.
The variants differ only in what gates which pathway (``g(z) = sigmoid(kappa z)``):

- ``both``: ``(W+ x) g(V+ x) + (W- x) g(V- x)`` (DESIGN.md § 3; the default), gates ``V+, V-``
- ``shared``: ``(W x) g(V x)``, one gate for both pathways, gate ``V``
- ``excitatory``: ``(W+ x) g(V+ x) + (W- x)``, inhibition stays linear, gate ``V+``
- ``excitatory-only``: ``(W+ x) g(V+ x)``, the inhibitory pathway removed, gate ``V+``
- ``inhibitory``: ``(W+ x) + (W- x) g(V- x)``, excitation stays linear, gate ``V-``
- ``divisive``: ``(W+ x) / (1 + kappa relu(C x)) + (W- x)``, conductance ``C``
- ``none``: ``W x``, the gates removed: exactly the linear synapse

Where they come from: the bilinear-neuron thesis's three ablations of its shunting neuron are
``excitatory-only`` (its ab1, ``w+ x sigma(v_p x)``), ``excitatory`` (ab2) and ``shared``
(ab3, ``w x sigma(v x)``). ``inhibitory``, ``divisive`` and ``none`` are ours, completing the
family -- which pathway is gated, whether one gate serves both, a linear conductance. ``divisive`` is the classic form of shunting
inhibition: a sigmoid gate is itself a division, ``sigmoid(kappa z) = 1 / (1 + exp(-kappa
z))``, with a conductance exponential in the input; ``divisive`` swaps it for a conductance
linear in the (rectified) input, as in the membrane equation's steady state (Grossberg's
shunting model) and the shunting-inhibitory networks' ``y = f(x) / (a + g(x))`` (Arulampalam &
Bouzerdoum 2003), with ``a = 1`` and ``g = kappa relu(C x)``; ``relu`` keeps the conductance
non-negative, so the divisor is at least 1 and the excitation is only ever scaled down.
Inhibition through ``W-`` stays subtractive (hyperpolarising), as in ``excitatory``.

Only the variants that gate excitation with a sigmoid (``both``, ``shared``, ``excitatory``,
``excitatory-only``) let one neuron compute XOR; ``inhibitory``, ``divisive`` and ``none`` cannot (see the tests).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SHUNTING_GATES", "ShuntingGates"]

Product = Callable[[Tensor, Tensor], Tensor]

# gate variant -> the gate matrices it owns (attribute names, in stacking order)
_GATE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "both": ("gate_excitatory", "gate_inhibitory"),
    "shared": ("gate",),
    "excitatory": ("gate_excitatory",),
    "excitatory-only": ("gate_excitatory",),
    "inhibitory": ("gate_inhibitory",),
    "divisive": ("conductance",),
    "none": (),
}
SHUNTING_GATES: tuple[str, ...] = tuple(_GATE_PARAMETERS)


class ShuntingGates:
    """Mixin for a :class:`~snn_models.synapses.base.Synapse` with a ``weight`` parameter.

    The subclass calls :meth:`_init_gates` with a factory for one gate matrix shaped like
    ``weight``; :meth:`_gated_current` then computes the variant's current from a single
    product with the stacked weights (one large product beats several small ones on a CPU).
    """

    weight: nn.Parameter
    gate_kind: str
    kappa: float

    def _init_gates(self, gate: str, kappa: float, new_matrix: Callable[[], nn.Parameter]) -> None:
        if gate not in _GATE_PARAMETERS:
            raise ValueError(f"unknown shunting gate {gate!r}; choose one of {SHUNTING_GATES}")
        self.gate_kind = gate
        self.kappa = float(kappa)
        for name in _GATE_PARAMETERS[gate]:
            setattr(self, name, new_matrix())

    def _gate_matrices(self) -> list[Tensor]:
        return [getattr(self, name) for name in _GATE_PARAMETERS[self.gate_kind]]

    def _gated_current(self, x: Tensor, product: Product, dim: int) -> Tensor:
        """The variant's current without bias; outputs along ``dim`` (-1 dense, 1 conv)."""
        gate = self.gate_kind
        if gate == "none":
            return product(x, self.weight)
        if gate == "shared":
            drive, z = product(x, torch.cat([self.weight, *self._gate_matrices()])).chunk(2, dim)
            return drive * torch.sigmoid(self.kappa * z)
        excitatory_w = F.relu(self.weight)
        if gate == "excitatory-only":
            excite, z = product(x, torch.cat([excitatory_w, self.gate_excitatory])).chunk(2, dim)
            return excite * torch.sigmoid(self.kappa * z)
        inhibitory_w = self.weight - excitatory_w
        stacked = torch.cat([excitatory_w, inhibitory_w, *self._gate_matrices()])
        parts = product(x, stacked).chunk(len(_GATE_PARAMETERS[gate]) + 2, dim)
        excite, inhibit = parts[0], parts[1]
        if gate == "both":
            gate_e, gate_i = parts[2], parts[3]
            return excite * torch.sigmoid(self.kappa * gate_e) + inhibit * torch.sigmoid(
                self.kappa * gate_i
            )
        if gate == "excitatory":
            return excite * torch.sigmoid(self.kappa * parts[2]) + inhibit
        if gate == "inhibitory":
            return excite + inhibit * torch.sigmoid(self.kappa * parts[2])
        # divisive
        return excite / (1.0 + self.kappa * F.relu(parts[2])) + inhibit

    def _gate_repr(self) -> str:
        return f", kappa={self.kappa}, gate={self.gate_kind!r}"
