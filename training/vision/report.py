"""Markdown tables from run records: every row carries the data size, epochs and T behind it."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _network_name(config: dict) -> str:
    if config["arch"] == "fcn":
        return (
            f"FCN 784-{config['hidden']}-10"
            if config["dataset"] != "digits"
            else (f"FCN 64-{config['hidden']}-10")
        )
    name = {"cnn": "CNN 32C3-P2-32C3-P2-128-10", "vgg": "VGG-like"}[config["arch"]]
    return name if config.get("width", 1.0) == 1.0 else f"{name} (width x{config['width']})"


def _rule_name(config: dict) -> str:
    if config["rule"] == "hsic":
        return f"HSIC ({config['kernel']})"
    if config["rule"] == "local":
        weights = config["local"]
        terms = [name for name in ("pred", "sim", "contrast", "recon") if weights[name] > 0]
        return "local (" + "+".join(terms) + ")"
    return "BPTT"


def results_table(records: Sequence[dict]) -> str:
    header = (
        "| dataset | network | neuron | rule | train / test images | epochs | T | seed "
        "| test acc. % (last) | best % | train time s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for record in records:
        config, data = record["config"], record["data"]
        rows.append(
            f"| {data['dataset']} | {_network_name(config)} | {config['neuron']} "
            f"| {_rule_name(config)} | {data['train_size']:,} / {data['test_size']:,} "
            f"| {config['epochs']} | {config['T']} | {config['seed']} "
            f"| {_pct(record['final_test_accuracy'])} "
            f"| {_pct(record['best_test_accuracy'])} | {record['train_seconds']:.0f} |"
        )
    return header + "\n".join(rows) + "\n"


def seed_summary_table(records: Sequence[dict]) -> str:
    """Mean and sample sd of the final test accuracy over seeds, for runs repeated per seed.

    One seed can move a small network by a few tenths of a point, so a difference between
    integrations or rules is only worth reading next to this spread.
    """
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        config = record["config"]
        key = tuple(
            (name, json.dumps(value, sort_keys=True))
            for name, value in sorted(config.items())
            if name not in ("seed", "data_path", "device", "noise")
        )
        groups.setdefault(key, []).append(record)
    if all(len(group) < 2 for group in groups.values()):
        return ""
    header = (
        "| dataset | network | neuron | rule | train / test images | epochs | T | seeds "
        "| test acc. % mean | sd |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for group in groups.values():
        config, data = group[0]["config"], group[0]["data"]
        accs = [100 * record["final_test_accuracy"] for record in group]
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.0
        seeds = ",".join(str(record["config"]["seed"]) for record in group)
        rows.append(
            f"| {data['dataset']} | {_network_name(config)} | {config['neuron']} "
            f"| {_rule_name(config)} | {data['train_size']:,} / {data['test_size']:,} "
            f"| {config['epochs']} | {config['T']} | {seeds} | {statistics.mean(accs):.2f} "
            f"| {spread:.2f} |"
        )
    return header + "\n".join(rows) + "\n"


def noise_table(records: Sequence[dict]) -> str:
    """One row per (run, noise kind): accuracy at each level and the drop at the worst level."""
    noisy = [record for record in records if record.get("noise")]
    if not noisy:
        return ""
    blocks = []
    kinds = sorted({kind for record in noisy for kind in record["noise"]})
    for kind in kinds:
        levels = sorted({row["level"] for record in noisy for row in record["noise"].get(kind, [])})
        header = (
            f"**{kind} noise** (accuracy % at each level; drop in points at the largest level)\n\n"
            "| dataset | model | " + " | ".join(f"{level:g}" for level in levels) + " | drop |\n"
            "|---|---|" + "---|" * len(levels) + "---|\n"
        )
        rows = []
        for record in noisy:
            by_level = {row["level"]: row for row in record["noise"].get(kind, [])}
            cells = [_pct(by_level[lv]["accuracy"]) if lv in by_level else "" for lv in levels]
            worst = by_level[max(by_level)]
            rows.append(
                f"| {record['data']['dataset']} | {record['label']} | "
                + " | ".join(cells)
                + f" | {100 * worst['drop']:.2f} |"
            )
        blocks.append(header + "\n".join(rows) + "\n")
    return "\n".join(blocks)


def sweep_markdown(title: str, records: Sequence[dict], command: str, notes: str = "") -> str:
    parts = [f"# {title}\n", f"Reproduce with:\n\n```\n{command}\n```\n"]
    splits = sorted({f"- {r['data']['dataset']}: {r['data']['split']}" for r in records})
    parts.append("Data:\n\n" + "\n".join(splits) + "\n")
    if notes:
        parts.append(notes.strip() + "\n")
    summary = seed_summary_table(records)
    if summary:
        parts.append("## Mean over seeds\n\n" + summary)
        parts.append("## Every run\n")
    parts.append(results_table(records))
    noise = noise_table(records)
    if noise:
        parts.append("## Robustness\n\n" + noise)
    return "\n".join(parts)
