"""Pure functions: LIF dynamics, the fused scan, and time-folding helpers."""

from snn_models.functional.leaky_integrate import leaky_integrate
from snn_models.functional.lif import (
    LIFParameters,
    ResetMode,
    lif_charge,
    lif_fire,
    lif_reset,
    lif_scan,
    lif_scan_reference,
    lif_step,
)
from snn_models.functional.lif_numpy import lif_rates_constant_input
from snn_models.functional.time import apply_over_time, is_repeated_over_time, repeat_over_time

__all__ = [
    "LIFParameters",
    "ResetMode",
    "apply_over_time",
    "is_repeated_over_time",
    "leaky_integrate",
    "lif_charge",
    "lif_fire",
    "lif_rates_constant_input",
    "lif_reset",
    "lif_scan",
    "lif_scan_reference",
    "lif_step",
    "repeat_over_time",
]
