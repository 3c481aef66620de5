"""Run a grid of vision configurations and write a Markdown table, JSON and plots.

Each finished run is cached under the data folder by its config fingerprint, so an interrupted
sweep resumes where it stopped and a table can be rebuilt without retraining.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from recsys.paths import data_dir
from training.vision.config import MembraneBPTTSettings, RunConfig, save_json
from training.vision.datasets import VisionData
from training.vision.experiment import (
    noise_robustness,
    prepare_data,
    resolve_device,
    train_model,
)
from training.vision.networks import build_network
from training.vision.plots import plot_accuracy_curves, plot_noise_robustness
from training.vision.report import sweep_markdown


@dataclass(frozen=True)
class Grid:
    """Which networks, synapses and rules a named sweep crosses, and why it exists."""

    archs: tuple[str, ...]
    synapses: tuple[str, ...]
    rules: tuple[str, ...]
    noise: bool
    purpose: str


GRIDS: dict[str, Grid] = {
    "fcn": Grid(
        archs=("fcn-100", "fcn-200", "fcn-400"),
        synapses=("linear", "bilinear", "shunting"),
        rules=("bptt",),
        noise=False,
        purpose="FCN 784-H-10, H = 100 / 200 / 400: linear vs bilinear vs shunting, BPTT.",
    ),
    "cnn": Grid(
        archs=("cnn",),
        synapses=("linear", "bilinear", "shunting"),
        rules=("bptt",),
        noise=False,
        purpose="Small CNN: linear vs bilinear vs shunting integration, BPTT.",
    ),
    "rules": Grid(
        archs=("cnn",),
        synapses=("linear",),
        rules=("bptt", "local", "hsic-gaussian", "hsic-cosine"),
        noise=True,
        purpose="Small CNN: BPTT vs local hybrid loss vs HSIC bottleneck, and noise robustness.",
    ),
    "kernels": Grid(
        archs=("cnn",),
        synapses=("linear",),
        rules=("hsic-gaussian", "hsic-cosine", "hsic-laplace", "hsic-sigmoid"),
        noise=False,
        purpose="Small CNN trained by the HSIC bottleneck: which kernel.",
    ),
    "vgg": Grid(
        archs=("vgg",),
        synapses=("linear",),
        rules=("bptt", "local"),
        noise=False,
        purpose="VGG-like CNN: local hybrid loss vs BPTT.",
    ),
}


def parse_arch(spec: str) -> dict:
    """'fcn-200' -> fcn with 200 hidden units; 'cnn' and 'vgg' name themselves."""
    if spec.startswith("fcn"):
        hidden = int(spec.split("-", 1)[1]) if "-" in spec else 100
        return {"arch": "fcn", "hidden": hidden}
    return {"arch": spec}


def parse_rule(spec: str) -> dict:
    """'hsic-laplace' -> HSIC with the laplace kernel; 'membrane-bptt-atan' -> the
    membrane-BPTT variant with the atan surrogate instead of the membrane gradient; other
    rules name themselves."""
    prefix = "membrane-bptt"
    if spec.startswith(prefix):
        gradient = spec[len(prefix) + 1 :] or None
        return {"rule": prefix, "gradient": gradient}
    if spec.startswith("hsic"):
        kernel = spec.split("-", 1)[1] if "-" in spec else "gaussian"
        return {"rule": "hsic", "kernel": kernel}
    return {"rule": spec}


def expand_grid(
    base: RunConfig,
    datasets: Sequence[str],
    archs: Iterable[str],
    synapses: Iterable[str],
    rules: Iterable[str],
    noise: bool,
    seeds: Sequence[int] | None = None,
) -> list[RunConfig]:
    """Every (dataset, arch, synapse, rule, seed) combination, in that nesting order."""
    grid = itertools.product(datasets, archs, synapses, rules, seeds or [base.seed])
    configs = []
    for dataset, arch, synapse, rule, seed in grid:
        rule_options = parse_rule(rule)
        gradient = rule_options.pop("gradient", None)
        lee = None
        if rule_options["rule"] == "membrane-bptt":
            lee = base.membrane_bptt or MembraneBPTTSettings()
            if gradient:
                lee = replace(lee, gradient=gradient)
        configs.append(
            replace(
                base,
                dataset=dataset,
                synapse=synapse,
                noise=noise,
                seed=seed,
                membrane_bptt=lee,
                lee2016=base.lee2016 if rule_options["rule"] == "lee2016" else None,
                plasticity_centric=(
                    base.plasticity_centric
                    if rule_options["rule"] == "plasticity-centric"
                    else None
                ),
                **parse_arch(arch),
                **rule_options,
            )
        )
    return configs


def default_cache_dir() -> Path:
    return data_dir() / "results" / "vision"


def _cached_or_trained(
    config: RunConfig, data: VisionData, cache_dir: Path, fresh: bool, progress: bool
) -> dict:
    """The run's record, training only when no cached run with the same fingerprint exists.

    Weights are cached beside the record, so noise robustness can be added to a run that was
    trained without it.
    """
    record_path = cache_dir / f"{config.fingerprint()}.json"
    weights_path = cache_dir / f"{config.fingerprint()}.pt"
    if record_path.is_file() and not fresh:
        record = json.loads(record_path.read_text())
        if not config.noise or record.get("noise"):
            return record
        if not weights_path.is_file():
            raise FileNotFoundError(f"{weights_path} is missing; rerun the sweep with --fresh")
        network = build_network(config, data.image_shape, data.num_classes)
        network.load_state_dict(torch.load(weights_path, map_location="cpu"))
        network.to(resolve_device(config.device))
    else:
        record, network = train_model(config, data, progress)
        weights_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(network.state_dict(), weights_path)
    if config.noise:
        record["noise"] = noise_robustness(config, network, data)
    save_json(record, record_path)
    return record


def run_sweep(
    configs: Sequence[RunConfig],
    name: str,
    out_dir: Path,
    command: str,
    notes: str = "",
    cache_dir: Path | None = None,
    fresh: bool = False,
    progress: bool = True,
) -> dict[str, Path]:
    """Run (or load from cache) every config, then write vision_<name>.{md,json} and plots."""
    cache_dir = cache_dir or default_cache_dir()
    records = []
    datasets: dict[tuple, VisionData] = {}
    for config in tqdm(configs, desc=f"sweep {name}", disable=not progress):
        key = (
            config.dataset,
            config.data_path,
            config.train_size,
            config.test_size,
            config.seed,
            config.validation,
        )
        if key not in datasets:
            datasets[key] = prepare_data(config)
        records.append(
            _cached_or_trained(config, datasets[key], cache_dir, fresh=fresh, progress=progress)
        )

    stem = f"vision_{name}"
    outputs = {
        "json": out_dir / f"{stem}.json",
        "markdown": out_dir / f"{stem}.md",
        "curves": plot_accuracy_curves(records, out_dir / f"{stem}_curves.png"),
    }
    save_json({"name": name, "command": command, "runs": records}, outputs["json"])
    title = f"Vision sweep `{name}`"
    outputs["markdown"].write_text(sweep_markdown(title, records, command, notes))
    noise_plot = plot_noise_robustness(records, out_dir / f"{stem}_noise.png")
    if noise_plot is not None:
        outputs["noise"] = noise_plot
    return outputs
