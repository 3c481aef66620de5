"""LIF inference in NumPy for one frozen input row: the serving path of a single request.

A one-user request runs a few dozen tiny tensor operations, where torch's fixed cost per call
is most of the time; the same charge, fire and reset in NumPy is several times cheaper. This is
inference only (no surrogate, no gradient) and reads the neuron's settings from the same
:class:`LIFParameters` bundle as :func:`~snn_models.functional.lif.lif_scan`, so a serving copy
never reaches into a neuron's attributes. Tests compare it with the torch neuron.
"""

from __future__ import annotations

import numpy as np

from snn_models.functional.lif_parameters import LIFParameters


def lif_rates_constant_input(
    current: np.ndarray, params: LIFParameters, num_steps: int
) -> np.ndarray:
    """Firing rates (spikes / ``num_steps``) of LIF neurons driven by the same ``current`` at
    every step, from rest: ``u = α v + c·x``, fire at ``u ≥ θ``, reset by subtraction or to
    zero — :func:`~snn_models.functional.lif.lif_charge`, ``lif_fire`` and ``lif_reset``."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    alpha = np.float32(float(params.alpha))
    threshold = np.float32(params.threshold)
    current = np.asarray(current, dtype=np.float32)
    drive = (np.float32(1.0) - alpha) * current if params.decay_input else current
    v = np.zeros_like(drive)
    count = np.zeros_like(drive)
    for _ in range(num_steps):
        u = alpha * v + drive
        spikes = (u >= threshold).astype(np.float32)
        count += spikes
        v = u - threshold * spikes if params.reset == "subtract" else u * (1 - spikes)
    return count / np.float32(num_steps)
