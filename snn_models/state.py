"""Per-instance time state, step modes and the one way to reset them.

Two step modes say what one call receives, both time-major:

* ``"multi"`` (default): a whole sequence, or a chunk of one, ``(T, B, ...)``.
* ``"single"``: one time step ``(B, ...)``.

Whether state survives a call is a second, separate switch, ``keep_state``:

* Off (the default in multi-step mode): every call starts from rest. Nothing survives between
  calls, so one batch can never leak membrane potential, or an autograd graph, into the next:
  the classic "forgot to reset" bug (and its "backward through the graph a second time" error)
  cannot happen while training on independent batches.
* On (always in single-step mode; in multi-step mode inside ``streaming(net, "multi")``): each
  call continues from the state the previous call left, so a sequence fed step by step or in
  chunks gives what it gives fed whole, until :func:`reset_states` returns the network to
  rest. State lives on the instance (never on the class). A call whose batch shape disagrees
  with the stored state raises instead of broadcasting silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from torch import Tensor, nn

from snn_models.functional.time import repeat_over_time

__all__ = [
    "StatefulModule",
    "StepMode",
    "TimeAwareModule",
    "reset_states",
    "set_step_mode",
    "streaming",
]

StepMode = Literal["multi", "single"]
_STEP_MODES = ("multi", "single")


class TimeAwareModule(nn.Module):
    """A module whose input layout depends on the step mode: ``(T, B, ...)`` or ``(B, ...)``.

    The one dispatch rule of the library (SpikingJelly's ``MemoryModule``): ``forward`` calls
    :meth:`single_step_forward` in ``"single"`` mode and :meth:`multi_step_forward` in
    ``"multi"`` mode. Neurons, synapses, readouts and layers implement those two methods and
    never look at the mode themselves.
    """

    step_mode: StepMode = "multi"  # class default too: modules pickled before it existed load

    def __init__(self) -> None:
        super().__init__()
        self.step_mode = "multi"

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "single":
            return self.single_step_forward(x)
        return self.multi_step_forward(x)

    def single_step_forward(self, x: Tensor) -> Tensor:
        """One time step ``(B, ...)``."""
        raise NotImplementedError

    def multi_step_forward(self, x: Tensor) -> Tensor:
        """A sequence ``(T, B, ...)``."""
        raise NotImplementedError

    def forward_repeated(self, step: Tensor, num_steps: int) -> Tensor:
        """``forward`` on ``step`` ``(B, ...)`` repeated ``num_steps`` times (multi-step mode).

        Modules that can do better than the repeated view (the LIF scan sums the input's
        gradient over time inside its kernel) override this.
        """
        if self.step_mode != "multi":
            raise RuntimeError("forward_repeated runs a sequence; it needs multi-step mode")
        return self(repeat_over_time(step, num_steps))

    def extra_repr(self) -> str:
        return f"step_mode={self.step_mode!r}" if self.step_mode != "multi" else ""


class StatefulModule(TimeAwareModule):
    """A time-aware module with named state tensors that :meth:`reset` returns to rest.

    Subclasses call :meth:`register_state` in ``__init__``; a state of ``None`` means "at rest"
    and is materialised lazily with the right shape, dtype and device on the first step.
    State is not part of ``state_dict`` and is dropped on pickling: a saved network always
    loads at rest.
    """

    keep_state: bool = False  # see the module docstring; set by set_step_mode / streaming

    def __init__(self) -> None:
        super().__init__()
        self._state_names: list[str] = []
        self.keep_state = False

    def register_state(self, name: str) -> None:
        if hasattr(self, name):
            raise AttributeError(f"{type(self).__name__} already has an attribute {name!r}")
        self._state_names.append(name)
        object.__setattr__(self, name, None)

    def reset(self) -> None:
        """Return every state to rest (``None``)."""
        for name in self._state_names:
            object.__setattr__(self, name, None)

    def check_state_shape(self, state: Tensor | None, x: Tensor) -> None:
        """Refuse a step whose shape differs from the stored state: a forgotten reset."""
        if state is not None and state.shape != x.shape:
            raise RuntimeError(
                f"{type(self).__name__} holds state of shape {tuple(state.shape)} but got a step "
                f"of shape {tuple(x.shape)}; call snn_models.reset_states(network) between "
                "independent sequences"
            )

    def initial_state(self, name: str, step: Tensor) -> Tensor | None:
        """The state a call starts from: the stored one while keeping state, else rest.

        ``step`` is one time step of the input, to check the stored state's shape against.
        """
        if not self.keep_state:
            return None
        state = getattr(self, name)
        self.check_state_shape(state, step)
        return state

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in self._state_names:
            state[name] = None
        return state


def reset_states(module: nn.Module) -> None:
    """Return every stateful sub-module of ``module`` (and itself) to rest."""
    for sub in module.modules():
        if isinstance(sub, StatefulModule):
            sub.reset()


def set_step_mode(module: nn.Module, mode: StepMode, keep_state: bool | None = None) -> nn.Module:
    """Switch every time-aware sub-module between sequences and single steps; resets state.

    ``keep_state`` (default: on for single steps, off for sequences) makes each call continue
    from the state the previous call left; single steps always keep it.
    """
    if mode not in _STEP_MODES:
        raise ValueError(f"step mode must be one of {_STEP_MODES}, got {mode!r}")
    if keep_state is None:
        keep_state = mode == "single"
    if mode == "single" and not keep_state:
        raise ValueError("single-step mode keeps state: a step from rest every call is one step")
    for sub in module.modules():
        if isinstance(sub, TimeAwareModule):
            sub.step_mode = mode
        if isinstance(sub, StatefulModule):
            sub.keep_state = keep_state
    reset_states(module)
    return module


@contextmanager
def streaming(module: nn.Module, step_mode: StepMode = "single") -> Iterator[nn.Module]:
    """Feed ``module`` a stream inside the block, from rest, keeping state between calls.

    ``step_mode="single"``: one step ``(B, ...)`` per call. ``"multi"``: chunks ``(T, B, ...)``
    of one long sequence; the chunks give what the whole sequence would. Either way
    :func:`reset_states` starts a new stream, and leaving the block restores the modes and rest.

    >>> with streaming(net):
    ...     for x_t in frames:
    ...         y_t = net(x_t)
    """
    previous = {
        sub: (sub.step_mode, getattr(sub, "keep_state", None))
        for sub in module.modules()
        if isinstance(sub, TimeAwareModule)
    }
    set_step_mode(module, step_mode, keep_state=True)
    try:
        yield module
    finally:
        for sub, (mode, keep_state) in previous.items():
            sub.step_mode = mode
            if isinstance(sub, StatefulModule):
                sub.keep_state = keep_state
        reset_states(module)
