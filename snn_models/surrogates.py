"""Surrogate gradients for the spike non-linearity, chosen by name.

A spike is a Heaviside step of the membrane potential, whose derivative is zero almost
everywhere; training replaces that derivative with a smooth bump. Each surrogate is a small,
frozen dataclass rather than a closure so that modules holding one can be pickled and saved
with ``torch.save`` (closures are a frequent complaint about other SNN libraries).

Every surrogate has one sharpness parameter ``alpha``: larger means a narrower, taller bump.
Each also exposes ``primitive`` (the smooth step whose derivative the bump is); the fused LIF
scan can run on it instead of the hard step, which makes the whole scan differentiable and
lets ``torch.autograd.gradcheck`` verify the hand-written backward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

__all__ = [
    "ATan",
    "ATanAsWritten",
    "Sigmoid",
    "Surrogate",
    "Triangle",
    "available_surrogates",
    "get_surrogate",
    "register_surrogate",
    "spike",
]


@dataclass(frozen=True)
class Surrogate:
    """Base class: ``derivative`` drives backward, ``primitive`` is its smooth step."""

    alpha: float = 1.0
    name: ClassVar[str] = "base"

    def derivative(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def primitive(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, x: Tensor) -> Tensor:
        """Heaviside step of ``x`` whose gradient is this surrogate's derivative."""
        return spike(x, self)


@dataclass(frozen=True)
class ATan(Surrogate):
    """Arc-tangent surrogate (Fang et al. 2021): the default here and in snnTorch.

    (SpikingJelly's neurons default to :class:`Sigmoid`.)

    Heavy tails keep a little gradient far from threshold, so silent neurons can recover.
    """

    alpha: float = 2.0
    name: ClassVar[str] = "atan"

    def derivative(self, x: Tensor) -> Tensor:
        scaled = (math.pi / 2 * self.alpha) * x
        return (self.alpha / 2) / (1 + scaled * scaled)

    def primitive(self, x: Tensor) -> Tensor:
        return torch.atan((math.pi / 2 * self.alpha) * x) / math.pi + 0.5


@dataclass(frozen=True)
class ATanAsWritten(Surrogate):
    """The arc-tangent derivative as the snnTorch report writes it: :class:`ATan` divided by
    ``pi``, i.e. ``(alpha/2) / pi / (1 + (pi/2 * alpha * x)^2)``; at ``alpha = 2`` the report's
    ``(1/pi) / (1 + (pi x)^2)``.

    snnTorch's documentation writes this ``1/pi`` factor; its code computes :class:`ATan`
    (``pi`` times this). Kept separate so a recipe can use the formula its source states. A
    constant factor on a single hidden layer's gradient is nearly invisible to Adam, which
    rescales every parameter's step by its own gradient size.
    """

    alpha: float = 2.0
    name: ClassVar[str] = "atan-as-written"

    def derivative(self, x: Tensor) -> Tensor:
        scaled = (math.pi / 2 * self.alpha) * x
        return (self.alpha / 2 / math.pi) / (1 + scaled * scaled)

    def primitive(self, x: Tensor) -> Tensor:
        return torch.atan((math.pi / 2 * self.alpha) * x) / (math.pi * math.pi) + 0.5


@dataclass(frozen=True)
class Sigmoid(Surrogate):
    """Derivative of a logistic sigmoid with slope ``alpha``: SpikingJelly's default surrogate.

    ``alpha = 4`` as there (Zenke & Ganguli's SuperSpike family).
    """

    alpha: float = 4.0
    name: ClassVar[str] = "sigmoid"

    def derivative(self, x: Tensor) -> Tensor:
        s = torch.sigmoid(self.alpha * x)
        return self.alpha * s * (1 - s)

    def primitive(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.alpha * x)


@dataclass(frozen=True)
class Triangle(Surrogate):
    """Piece-wise linear bump of half-width ``1/alpha`` (Esser et al. 2016).

    Exactly zero far from threshold, so it is the cheapest and the most selective; its
    primitive has kinks, which is why the gradient checks use the smooth surrogates.
    """

    alpha: float = 1.0
    name: ClassVar[str] = "triangle"

    def derivative(self, x: Tensor) -> Tensor:
        return self.alpha * torch.clamp(1 - self.alpha * x.abs(), min=0)

    def primitive(self, x: Tensor) -> Tensor:
        z = torch.clamp(self.alpha * x, -1.0, 1.0)
        return 0.5 + z - 0.5 * z * z.abs()


class _HeavisideWithSurrogate(torch.autograd.Function):
    """Hard step forward, surrogate derivative backward; one graph node per call."""

    @staticmethod
    def forward(ctx, x: Tensor, surrogate: Surrogate) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad_out * ctx.surrogate.derivative(x), None


def spike(x: Tensor, surrogate: Surrogate) -> Tensor:
    """Spike where ``x >= 0``; gradients flow through ``surrogate.derivative``."""
    return _HeavisideWithSurrogate.apply(x, surrogate)


_REGISTRY: dict[str, type[Surrogate]] = {}


def register_surrogate(cls: type[Surrogate]) -> type[Surrogate]:
    """Make a surrogate class available to :func:`get_surrogate` under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


for _cls in (ATan, ATanAsWritten, Sigmoid, Triangle):
    register_surrogate(_cls)


def available_surrogates() -> list[str]:
    """Names accepted by :func:`get_surrogate`, for command-line choices."""
    return sorted(_REGISTRY)


def get_surrogate(name: str | Surrogate, **params: float) -> Surrogate:
    """Build a surrogate from a name such as ``"atan"``; an instance passes through unchanged."""
    if isinstance(name, Surrogate):
        if params:
            raise ValueError("parameters cannot be given together with a surrogate instance")
        return name
    try:
        cls = _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown surrogate {name!r}; choose one of {available_surrogates()}"
        ) from None
    return cls(**params)
