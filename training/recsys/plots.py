"""Figures for docs/recsys.md: the results table as bars, and the default model's training curve."""

from __future__ import annotations

import json
from pathlib import Path

from recsys.metrics.names import MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10
from training.figures import plt, save_figure

PUBLISHED = {"BiVAE": 0.475, "BPR (published)": 0.442}
METRICS = (NDCG_AT_10, MAP_AT_10, PRECISION_AT_10, RECALL_AT_10)


def plot_benchmark(json_path: Path, out_dir: Path) -> list[Path]:
    results = json.loads(Path(json_path).read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_bars(results, out_dir / "recsys_results.png")]
    curve = next((r for r in results if r["model"] == "snn-local" and r.get("history")), None)
    if curve is not None:
        written.append(_curve(curve, out_dir / "recsys_training_curve.png"))
    return written


def _bars(results: list[dict], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(METRICS), figsize=(16, 4))
    names = [r["model"] for r in results]
    for axis, metric in zip(axes, METRICS, strict=True):
        values = [r["metrics"][metric] for r in results]
        colours = ["tab:orange" if n.startswith("snn") else "tab:grey" for n in names]
        axis.barh(names, values, color=colours)
        axis.set_title(metric)
        if metric == NDCG_AT_10:
            for label, value in PUBLISHED.items():
                axis.axvline(value, linestyle="--", linewidth=1, color="k")
                axis.text(value, -0.6, label, rotation=90, fontsize=7, va="bottom")
        for index, value in enumerate(values):
            axis.text(value, index, f" {value:.3f}", va="center", fontsize=8)
        axis.set_xlim(0, max(values + [0.5]) * 1.2)
    fig.suptitle("MovieLens-100K, per-user stratified 75/25 split, seed 42 (top-10)")
    return save_figure(fig, path)


def _curve(result: dict, path: Path) -> Path:
    history = result["history"]
    epochs = [h["epoch"] for h in history]
    fig, left = plt.subplots(figsize=(7, 4))
    left.plot(epochs, [h["loss"] for h in history], color="tab:blue", label="training loss")
    left.set_xlabel("epoch")
    left.set_ylabel("loss (weighted squared error per user)", color="tab:blue")
    right = left.twinx()
    points = [(h["epoch"], h["metric"]) for h in history if h.get("metric") is not None]
    right.plot(*zip(*points, strict=True), "o-", color="tab:orange", label="test nDCG@10")
    right.set_ylabel("nDCG@10 on the 25% split (monitor only)", color="tab:orange")
    left.set_title(f"snn-local training curve (seed {result['seed']})")
    return save_figure(fig, path)
