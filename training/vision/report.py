"""Markdown tables from run records: every row carries the data size, epochs and T behind it."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

from recsys.metrics.names import TRAIN_SECONDS
from training.vision.config import RENAMED_RULES, upgrade_config
from training.vision.paired import mean_sd, paired_difference


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
    rule = RENAMED_RULES.get(config["rule"], config["rule"])
    if rule == "hsic":
        return f"HSIC ({config['kernel']})"
    if rule == "local":
        weights = config["local"]
        names = ("pred", "sim", "contrast", "recon", "supcon")
        terms = [name for name in names if weights.get(name, 0) > 0]
        weighted = " + ".join(f"{weights[name]:g} {name}" for name in terms)
        if config.get("local_form") == "hu-thesis":
            return f"local, Hu-thesis form ({weighted})"
        if any(weights[name] != 1 for name in terms):  # unequal weights: print them
            return f"local ({weighted})"
        return "local (" + "+".join(terms) + ")"
    if rule == "membrane-bptt":
        lee = config.get("membrane_bptt") or config.get("lee") or {}
        gradient = lee.get("gradient", "membrane")
        notes = [] if gradient == "membrane" else [f"{gradient} gradient"]
        if lee.get("weight_layers", "all") != "all":
            notes.append(f"weight penalty on {lee['weight_layers']} layers")
        if lee.get("weight_lambda", 1e-3) == 0:
            notes.append("no weight penalty")
        return "membrane BPTT" + (f" ({', '.join(notes)})" if notes else "")
    if rule == "lee2016":
        return "Lee et al. 2016 (aggregate-rate backprop)"
    if rule == "plasticity-centric":
        settings = config.get("plasticity_centric") or {}
        gain = settings.get("free_phase_stdp", 1.0)
        return "plasticity-centric" + ("" if gain == 1.0 else f" (free-phase STDP x{gain:g})")
    if rule == "stdp-delta":
        return "competitive STDP + delta readout (no backprop)"
    notes = []
    if config.get("encoding") == "rate":
        notes.append("Bernoulli input")
    if config.get("readout") == "spike-count":
        notes.append(f"spike-count output, {config.get('output_loss') or 'ce'}")
    if config.get("lr_schedule") == "constant":
        notes.append("constant lr")
    return "BPTT" + (f" ({', '.join(notes)})" if notes else "")


def _neuron_name(config: dict) -> str:
    """The layers' synapse kind and, where not plain LIF, their neuron (the table's column)."""
    config = upgrade_config(config)  # records written before the synapse had its own key
    name = config["synapse"]
    variant = config.get("bilinear_variant")
    if variant not in (None, "learned"):
        name += f" ({variant})"
    if config.get("lambda_init") is not None:
        name += f", λ0={config['lambda_init']:g}"
    if config.get("kappa") is not None:
        name += f", κ={config['kappa']:g}"
    gate = config.get("shunting_gate")
    if config["synapse"] == "shunting" and gate not in (None, "both"):
        name += f", gate {gate}"
    if config.get("neuron_model") == "plif":
        name += ", PLIF"
    if config.get("neuron_model") == "delayed-reset":
        name += ", delayed-reset LIF"
    if config.get("surrogate") not in (None, "atan"):
        name += f", {config['surrogate']}"
    return name


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
            f"| {data['dataset']} | {_network_name(config)} | {_neuron_name(config)} "
            f"| {_rule_name(config)} | {data['train_size']:,} / {data['test_size']:,} "
            f"| {config['epochs']} | {config['T']} | {config['seed']} "
            f"| {_pct(record['final_test_accuracy'])} "
            f"| {_pct(record['best_test_accuracy'])} | {record[TRAIN_SECONDS]:.0f} |"
        )
    return header + "\n".join(rows) + "\n"


def _group_by_setting(records: Sequence[dict]) -> list[list[dict]]:
    """Records that differ only in seed, in first-seen order, each group sorted by seed."""
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        config = upgrade_config(record["config"])  # old and new records of a setting together
        key = tuple(
            (name, json.dumps(value, sort_keys=True))
            for name, value in sorted(config.items())
            if name not in ("seed", "data_path", "device", "noise")
        )
        groups.setdefault(key, []).append(record)
    return [sorted(group, key=lambda r: r["config"]["seed"]) for group in groups.values()]


def _setting_name(record: dict) -> str:
    config = record["config"]
    return f"{_network_name(config)} {_neuron_name(config)} {_rule_name(config)}"


def _paired_with_baseline(groups: Sequence[list[dict]]):
    """(dataset, group, baseline group, [(record, baseline record), …]) for every group after
    the first of its dataset, paired by seed; groups sharing fewer than two seeds are skipped."""
    baselines: dict[str, list[dict]] = {}
    for group in groups:
        dataset = group[0]["config"]["dataset"]
        base = baselines.setdefault(dataset, group)
        if base is group:
            continue
        by_seed = {r["config"]["seed"]: r for r in base}
        pairs = [(r, by_seed[r["config"]["seed"]]) for r in group if r["config"]["seed"] in by_seed]
        if len(pairs) >= 2:
            yield dataset, group, base, pairs


def paired_table(records: Sequence[dict]) -> str:
    """Each setting against the first one of its dataset, seed by seed (test accuracy in points,
    and the share of silent hidden neurons where measured).

    Only seeds both settings ran are paired; ``*`` marks an interval that excludes zero.
    """
    groups = [g for g in _group_by_setting(records) if len(g) >= 2]
    rows = []
    for dataset, group, base, pairs in _paired_with_baseline(groups):
        diff = paired_difference(
            [100 * a["final_test_accuracy"] for a, _ in pairs],
            [100 * b["final_test_accuracy"] for _, b in pairs],
        )
        rows.append(
            f"| {dataset} | {_setting_name(group[0])} | {_setting_name(base[0])} | {len(pairs)} "
            f"| {diff.text()} |"
        )
    if not rows:
        return ""
    header = (
        "| dataset | setting A | baseline B | paired seeds | A − B, points: mean [95% CI] |\n"
        "|---|---|---|---|---|\n"
    )
    return header + "\n".join(rows) + "\n"


def paired_noise_table(records: Sequence[dict]) -> str:
    """Noise robustness as paired differences of accuracy at each level, against the first
    setting of each dataset: the same seeds, the same corrupted images."""
    groups = [g for g in _group_by_setting(records) if len(g) >= 2 and g[0].get("noise")]
    if len(groups) < 2:
        return ""
    rows = []
    for dataset, group, base, pairs in _paired_with_baseline(groups):
        for kind in sorted(group[0]["noise"]):
            for level_row in group[0]["noise"][kind]:
                level = level_row["level"]

                def at(record: dict, kind: str = kind, level: float = level) -> float:
                    match = [r for r in record["noise"][kind] if r["level"] == level]
                    return 100 * match[0]["accuracy"]

                a = [at(x) for x, _ in pairs]
                b = [at(y) for _, y in pairs]
                diff = paired_difference(a, b)
                rows.append(
                    f"| {dataset} | {_setting_name(group[0])} − {_setting_name(base[0])} "
                    f"| {kind} | {level:g} | {mean_sd(a)} | {mean_sd(b)} | {diff.text()} |"
                )
    if not rows:
        return ""
    header = (
        "| dataset | A − B | noise | level | A acc. % | B acc. % | A − B, points [95% CI] |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    return header + "\n".join(rows) + "\n"


def seed_summary_table(records: Sequence[dict]) -> str:
    """Mean and sample sd of the final test accuracy over seeds, for runs repeated per seed.

    One seed can move a small network by a few tenths of a point, so a difference between
    integrations or rules is only worth reading next to this spread.
    """
    groups = _group_by_setting(records)
    if all(len(group) < 2 for group in groups):
        return ""
    header = (
        "| dataset | network | neuron | rule | train / test images | epochs | T | seeds "
        "| test acc. % mean | sd | silent hidden % |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for group in groups:
        config, data = group[0]["config"], group[0]["data"]
        accs = [100 * record["final_test_accuracy"] for record in group]
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.0
        seeds = ",".join(str(record["config"]["seed"]) for record in group)
        silent = [r.get("silent_hidden_share") for r in group]
        silent_text = (
            mean_sd([100 * v for v in silent]) if all(v is not None for v in silent) else ""
        )
        rows.append(
            f"| {data['dataset']} | {_network_name(config)} | {_neuron_name(config)} "
            f"| {_rule_name(config)} | {data['train_size']:,} / {data['test_size']:,} "
            f"| {config['epochs']} | {config['T']} | {seeds} | {statistics.mean(accs):.2f} "
            f"| {spread:.2f} | {silent_text} |"
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
        paired = paired_table(records)
        if paired:
            parts.append("## Paired differences (same seeds)\n\n" + paired)
        paired_noise = paired_noise_table(records)
        if paired_noise:
            parts.append("## Noise robustness, paired (same seeds, same noisy images)\n\n")
            parts.append(paired_noise)
        parts.append("## Every run\n")
    parts.append(results_table(records))
    noise = noise_table(records)
    if noise:
        parts.append("## Robustness\n\n" + noise)
    return "\n".join(parts)
