"""Figures for sweeps: test accuracy per epoch, and accuracy against noise level."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.ticker import MaxNLocator

from training.figures import plt, save_figure


def _datasets(records: Sequence[dict]) -> list[str]:
    return sorted({record["data"]["dataset"] for record in records})


def _legend(record: dict, records: Sequence[dict]) -> str:
    """The run's label, with its seed when the plot holds several seeds."""
    seeds = {r["config"]["seed"] for r in records}
    return record["label"] + (f" (seed {record['config']['seed']})" if len(seeds) > 1 else "")


def plot_accuracy_curves(records: Sequence[dict], path: Path) -> Path:
    datasets = _datasets(records)
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for record in (r for r in records if r["data"]["dataset"] == dataset):
            epochs = [row["epoch"] for row in record["history"]]
            accs = [100 * row["test_accuracy"] for row in record["history"]]
            ax.plot(epochs, accs, marker="o", label=_legend(record, records))
        config = next(r["config"] for r in records if r["data"]["dataset"] == dataset)
        ax.set_title(f"{dataset} (T={config['T']})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_noise_robustness(records: Sequence[dict], path: Path) -> Path | None:
    noisy = [record for record in records if record.get("noise")]
    if not noisy:
        return None
    datasets = _datasets(noisy)
    kinds = sorted({kind for record in noisy for kind in record["noise"]})
    fig, axes = plt.subplots(
        len(datasets), len(kinds), figsize=(5.5 * len(kinds), 4 * len(datasets)), squeeze=False
    )
    for row, dataset in enumerate(datasets):
        for col, kind in enumerate(kinds):
            ax = axes[row][col]
            for record in (r for r in noisy if r["data"]["dataset"] == dataset):
                points = record["noise"].get(kind, [])
                ax.plot(
                    [p["level"] for p in points],
                    [100 * p["accuracy"] for p in points],
                    marker="o",
                    label=_legend(record, records),
                )
            ax.set_title(f"{dataset}: {kind}")
            ax.set_xlabel("std" if kind == "gaussian" else "fraction of pixels replaced")
            ax.set_ylabel("test accuracy (%)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    return save_figure(fig, path)
