"""How often a spike-count readout's prediction is a tie, for cached runs: a diagnostic.

Why: a spiking output read by spike count over T steps can give two classes the same count,
and the arg-max then picks the lower class whatever the evidence. The snnTorch recipe (seed 002)
trains the membrane, not the count, so ties are not penalised in training. This prints, per
cached run with ``readout="spike-count"``, the test accuracy by count (the run's own metric),
the share of test images whose top count is shared, and, for comparison only, the accuracy of
the arg-max of the output membrane summed over time (a reading no setting was chosen by).

    python -m training.vision.count_ties [--cache-dir data/results/vision]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import torch

from training.vision.config import RunConfig
from training.vision.experiment import prepare_data
from training.vision.networks import build_network
from training.vision.sweep import default_cache_dir

BATCH = 500


@torch.no_grad()
def tie_report(config: RunConfig, weights: Path) -> dict[str, float]:
    """Accuracy by count, share of tied top counts, and accuracy by summed membrane (in %)."""
    data = prepare_data(config)
    network = build_network(config, data.image_shape, data.num_classes)
    network.load_state_dict(torch.load(weights, map_location="cpu"))
    network.eval()
    readout = network.blocks[-1].body[-1]
    ties = by_count = by_membrane = 0
    for start in range(0, data.test_y.numel(), BATCH):
        images, labels = data.test_x[start : start + BATCH], data.test_y[start : start + BATCH]
        counts = network(images)
        top = counts.max(1, keepdim=True).values
        ties += int(((counts == top).sum(1) > 1).sum())
        by_count += int((counts.argmax(1) == labels).sum())
        by_membrane += int((readout.membrane.sum(0).argmax(1) == labels).sum())
    total = data.test_y.numel() / 100
    return {"count": by_count / total, "ties": ties / total, "membrane": by_membrane / total}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.vision.count_ties")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    args = parser.parse_args(argv)
    print(
        "| output loss | epochs | seed | acc. by count % | tied top count % | acc. by membrane % |"
    )
    print("|---|---|---|---|---|---|")
    for path in sorted(args.cache_dir.glob("*.json")):
        config = RunConfig.from_dict(json.loads(path.read_text())["config"])
        if config.readout != "spike-count" or not path.with_suffix(".pt").exists():
            continue
        row = tie_report(config, path.with_suffix(".pt"))
        print(
            f"| {config.output_loss} | {config.epochs} | {config.seed} | {row['count']:.2f} "
            f"| {row['ties']:.2f} | {row['membrane']:.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
