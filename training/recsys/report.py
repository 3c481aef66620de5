"""Markdown tables from benchmark JSON files (pasted into docs/recsys.md and the benchmark page).

``markdown_table``: one benchmark run, every model. ``seed_comparison``: two models over several
runs that differ only in the training seed, with the paired difference, because a gap between
two models on one seed means little when each model's own seeds spread as widely.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path

from recsys.metrics import names
from recsys.metrics.names import (
    MAP_AT_10,
    NDCG_AT_10,
    PEAK_MB,
    PRECISION_AT_10,
    RECALL_AT_10,
    TRAIN_SECONDS,
)

PUBLISHED_ROWS = (
    ("BiVAE (published)", 0.146, 0.475, 0.412, 0.219),
    ("BPR (published)", 0.133, 0.442, 0.388, 0.213),
    ("LightGCN (published)", 0.089, 0.420, 0.380, 0.144),
    ("NCF (published)", 0.108, 0.396, 0.347, 0.181),
    ("SAR (published)", 0.111, 0.383, 0.331, 0.176),
)


def markdown_table(json_path: Path) -> str:
    results = json.loads(Path(json_path).read_text())
    lines = [
        "| model | MAP@10 | nDCG@10 | P@10 | R@10 | train s | peak MB | epochs | spike rate (user / item) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r["metrics"]
        rates = "—"
        user_rate, item_rate = names.spike_rate("user", 0), names.spike_rate("item", 0)
        if user_rate in m:
            rates = f"{m[user_rate]:.3f} / {m[item_rate]:.3f}"
        lines.append(
            f"| {r['model']} | {m[MAP_AT_10]:.4f} | {m[NDCG_AT_10]:.4f} | {m[PRECISION_AT_10]:.4f} | "
            f"{m[RECALL_AT_10]:.4f} | {r[TRAIN_SECONDS]:.1f} | {r[PEAK_MB]:.0f} | {r['epochs']} | {rates} |"
        )
    for name, map_, ndcg, precision, recall in PUBLISHED_ROWS:
        lines.append(
            f"| {name} | {map_:.3f} | {ndcg:.3f} | {precision:.3f} | {recall:.3f} | | | | |"
        )
    return "\n".join(lines)


def _metrics_by_seed(paths: Sequence[Path], models: Sequence[str]) -> dict[int, dict[str, dict]]:
    """seed → model → metrics, from benchmark JSON files (each file one training seed).

    One seed's models may come from several files (a deterministic baseline such as EASE run
    once per seed beside a longer benchmark), but each model once per seed."""
    runs: dict[int, dict[str, dict]] = {}
    for path in paths:
        rows = {row["model"]: row for row in json.loads(Path(path).read_text())}
        present = [m for m in models if m in rows]
        if not present:
            raise ValueError(f"{path} has no result for {', '.join(models)}")
        seeds = {rows[m]["seed"] for m in present}
        if len(seeds) != 1:
            raise ValueError(f"{path} mixes training seeds {sorted(seeds)}")
        seed = seeds.pop()
        by_model = runs.setdefault(seed, {})
        for model in present:
            if model in by_model:
                raise ValueError(f"{model} at training seed {seed} appears in more than one file")
            by_model[model] = rows[model]["metrics"]
    for seed, by_model in runs.items():
        missing = [m for m in models if m not in by_model]
        if missing:
            raise ValueError(f"training seed {seed} has no result for {', '.join(missing)}")
    if len(runs) < 2:
        raise ValueError("a seed comparison needs runs of at least two training seeds")
    return dict(sorted(runs.items()))


def mean_sd(values: Sequence[float]) -> str:
    """``mean ± sample sd``, four decimals (the precision every result table uses)."""
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def seed_comparison(
    paths: Sequence[Path], first: str, second: str, metrics: Sequence[str] = (NDCG_AT_10, MAP_AT_10)
) -> str:
    """Per-seed metrics of ``first`` and ``second``, their mean ± sd (sample), and the paired
    difference ``second − first`` per metric, with how many seeds ``second`` is ahead on."""
    runs = _metrics_by_seed(paths, (first, second))
    header = ["training seed"] + [
        f"{model} {metric}" for metric in metrics for model in (first, second)
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for seed, by_model in runs.items():
        cells = [
            f"{by_model[model][metric]:.4f}" for metric in metrics for model in (first, second)
        ]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    means = [
        mean_sd([by_model[model][metric] for by_model in runs.values()])
        for metric in metrics
        for model in (first, second)
    ]
    lines.append("| mean ± sd | " + " | ".join(means) + " |")
    lines.append("")
    for metric in metrics:
        diffs = [by_model[second][metric] - by_model[first][metric] for by_model in runs.values()]
        ahead = sum(d > 0 for d in diffs)
        lines.append(
            f"{metric}: {second} − {first} = {mean_sd(diffs)} over {len(diffs)} seeds; "
            f"{second} ahead on {ahead} of {len(diffs)}"
        )
    return "\n".join(lines)


def paired_interval(diffs: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of paired differences (one per training seed)."""
    from scipy import stats

    mean = statistics.mean(diffs)
    half = (
        stats.t.ppf(0.5 + level / 2, len(diffs) - 1) * statistics.stdev(diffs) / len(diffs) ** 0.5
    )
    return mean - half, mean + half


def _runs_by_split(paths: Sequence[Path]) -> dict[int, dict[int, dict[str, dict]]]:
    """split seed → training seed → model → metrics, from benchmark JSON files (a model once per
    split and training seed; files may hold any subset of the models)."""
    runs: dict[int, dict[int, dict[str, dict]]] = {}
    for path in paths:
        for row in json.loads(Path(path).read_text()):
            by_model = runs.setdefault(row["split_seed"], {}).setdefault(row["seed"], {})
            if row["model"] in by_model:
                raise ValueError(
                    f"{row['model']} at split {row['split_seed']}, training seed {row['seed']} "
                    "appears twice"
                )
            by_model[row["model"]] = row["metrics"]
    return runs


def anchor_table(
    paths: Sequence[Path], served: str, anchors: Sequence[str], metric: str = NDCG_AT_10
) -> str:
    """Where ``served`` stands against each anchor, per split: both means ± sd over the training
    seeds where both ran, the paired difference (mean ± sd, 95% t interval) and the wins."""
    lines = [
        f"| split seed | anchor | seeds | {served} | anchor | {served} − anchor (mean ± sd) "
        "| paired 95% interval | wins |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, by_seed in sorted(_runs_by_split(paths).items()):
        for anchor in anchors:
            seeds = [s for s, models in sorted(by_seed.items()) if {served, anchor} <= set(models)]
            if not seeds:
                continue
            ours = [by_seed[s][served][metric] for s in seeds]
            theirs = [by_seed[s][anchor][metric] for s in seeds]
            diffs = [a - b for a, b in zip(ours, theirs, strict=True)]
            if len(seeds) > 1:
                low, high = paired_interval(diffs)
                cells = [
                    mean_sd(ours),
                    mean_sd(theirs),
                    f"{mean_sd(diffs)}",
                    f"[{low:+.4f}, {high:+.4f}]",
                ]
            else:
                cells = [f"{ours[0]:.4f}", f"{theirs[0]:.4f}", f"{diffs[0]:+.4f}", "—"]
            wins = sum(d > 0 for d in diffs)
            lines.append(
                f"| {split} | {anchor} | {len(seeds)} | "
                + " | ".join(cells)
                + f" | {wins} of {len(seeds)} |"
            )
    return "\n".join(lines)


def energy_table(paths: Sequence[Path]) -> str:
    """Energy per recommendation of every model in the benchmark files that stored it, and of
    the references counted alike (recsys.models.energy), cheapest with memory first; each row
    from the first run that has it."""
    rows: dict[str, tuple[float, float, float, float, float]] = {}
    for path in paths:
        for run in json.loads(Path(path).read_text()):
            m = run["metrics"]
            if names.ENERGY_NJ not in m or run["model"] in rows:
                continue
            rows[run["model"]] = (
                m[names.ENERGY_AC],
                m[names.ENERGY_MAC],
                m[names.ENERGY_ACCESSES],
                m[names.ENERGY_COMPUTE_NJ],
                m[names.ENERGY_NJ],
            )
            for ref, (total_key, compute_key) in names.ENERGY_REFERENCES.items():
                if f"{ref} (reference)" not in rows and total_key in m:
                    rows[f"{ref} (reference)"] = (
                        float("nan"),
                        float("nan"),
                        float("nan"),
                        m[compute_key],
                        m[total_key],
                    )
    lines = [
        "| model | accumulates | multiply-accumulates | memory accesses | compute µJ | "
        "with memory µJ |",
        "|---|---|---|---|---|---|",
    ]
    for model, (ac, mac, accesses, compute, total) in sorted(rows.items(), key=lambda r: r[1][4]):
        counts = [f"{v:,.0f}" if v == v else "—" for v in (ac, mac, accesses)]
        lines.append(
            f"| {model} | " + " | ".join(counts) + f" | {compute / 1000:.2f} | {total / 1000:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown_table(Path(sys.argv[1])))
