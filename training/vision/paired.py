"""Paired differences over seeds: the only way a table here may say "A beats B".

Two configurations trained with the same seeds see the same initial draw of the data subset,
the same shuffling and the same corrupted test images, so the seed-by-seed difference removes
the variation they share. We report its mean and a 95% Student-t interval; a difference whose
interval contains 0 is not called a difference.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (then the normal's).
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(dof: int) -> float:
    if dof < 1:
        raise ValueError("a confidence interval needs at least 2 paired values")
    return _T95[dof - 1] if dof <= len(_T95) else 1.960


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``a - b`` over paired seeds, its sample sd and 95% interval."""

    n: int
    mean: float
    sd: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """The 95% interval excludes zero."""
        return self.low > 0 or self.high < 0

    def text(self, digits: int = 2) -> str:
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]" + (
            " *" if self.significant else ""
        )


def paired_difference(a: Sequence[float], b: Sequence[float]) -> PairedDifference:
    """``a[i] - b[i]`` summarised; ``a`` and ``b`` are in the same seed order."""
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    mean = statistics.fmean(diffs)
    sd = statistics.stdev(diffs) if n > 1 else math.nan
    half = t95(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return PairedDifference(n=n, mean=mean, sd=sd, low=mean - half, high=mean + half)


def mean_sd(values: Sequence[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {sd:.2f}"
