"""One way to draw and write a figure: headless backend, tight layout, 120 dpi, closed afterwards.

Benchmarks run on servers and in CI, so nothing may open a window, and a sweep that draws
many figures must close each one or matplotlib keeps them all in memory. Plotting modules take
``plt`` from here, so the backend is chosen in one place, before pyplot is first imported.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def save_figure(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


__all__ = ["plt", "save_figure"]
