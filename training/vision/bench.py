"""Time one training step and one inference pass per network, integration and rule.

Prints a Markdown table (median over repeats, after warm-up) so the cost of bilinear and
shunting integration, and of layerwise rules, can be read next to their accuracy. Random
inputs are enough: the cost of a step does not depend on the pixel values.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import replace

import torch

from training.vision.config import RunConfig
from training.vision.networks import build_network
from training.vision.rules import build_rule

DEFAULT_CASES = (
    ("fcn", "linear", "bptt"),
    ("fcn", "bilinear", "bptt"),
    ("fcn", "shunting", "bptt"),
    ("cnn", "linear", "bptt"),
    ("cnn", "bilinear", "bptt"),
    ("cnn", "shunting", "bptt"),
    ("cnn", "linear", "local"),
    ("cnn", "linear", "hsic"),
)


def _median_seconds(action, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_case(config: RunConfig, image_shape=(1, 28, 28), repeats: int = 5) -> dict:
    torch.manual_seed(config.seed)
    network = build_network(config, image_shape, 10).to(config.device)
    rule = build_rule(config, network)
    images = torch.rand(config.batch_size, *image_shape, device=config.device)
    labels = torch.randint(0, 10, (config.batch_size,), device=config.device)

    def infer():
        with torch.no_grad():
            network.eval()
            network(images)

    def train():
        network.train()
        rule.train_batch(images, labels)

    train_s = _median_seconds(train, repeats)
    infer_s = _median_seconds(infer, repeats)
    return {
        "label": config.label(),
        "train_ms_per_batch": 1000 * train_s,
        "infer_images_per_s": config.batch_size / infer_s,
        "epoch_minutes_60k": 60000 / config.batch_size * train_s / 60,
    }


def run_bench(
    base: RunConfig, cases: Sequence[tuple[str, str, str]] = DEFAULT_CASES, repeats: int = 5
) -> list[dict]:
    rows = []
    for arch, synapse, rule in cases:
        config = replace(base, arch=arch, synapse=synapse, rule=rule)
        rows.append(time_case(config, repeats=repeats))
    return rows


def bench_table(rows: Sequence[dict], base: RunConfig) -> str:
    header = (
        f"T={base.T}, batch {base.batch_size}, 28x28 input, {torch.get_num_threads()} thread(s), "
        f"device {base.device}\n\n"
        "| network / integration / rule | train ms per batch | inference images/s "
        "| est. minutes per 60k-image epoch |\n|---|---|---|---|\n"
    )
    lines = [
        f"| {row['label']} | {row['train_ms_per_batch']:.1f} | {row['infer_images_per_s']:.0f} "
        f"| {row['epoch_minutes_60k']:.1f} |"
        for row in rows
    ]
    return header + "\n".join(lines) + "\n"
