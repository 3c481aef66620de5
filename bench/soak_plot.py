"""``python -m bench.soak_plot soak.json soak.png``: a soak's hour at a glance.

Three panels from the raw results ``python -m bench.soak --json`` writes: the home page's p50 and
p99 per window, each web worker's private and shared memory over time, and when each swap
happened. A reader sees at once whether latency drifted and whether memory is flat, which the
report's tables say only row by row.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot(raw: dict, out: Path, window_minutes: float = 5.0) -> None:
    """Draw ``raw`` (the soak's JSON) into ``out``."""
    window = 60 * window_minutes
    home: dict[int, list[float]] = defaultdict(list)
    for hit in raw["hits"]:
        if hit["page"] == "home" and 0 < hit["status"] < 500:
            home[int(hit["at"] // window)].append(hit["ms"])
    figure, (latency, memory) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    starts = sorted(home)
    middles = [(i + 0.5) * window_minutes for i in starts]
    latency.plot(middles, [statistics.median(home[i]) for i in starts], "o-", label="p50")
    latency.plot(
        middles,
        [statistics.quantiles(home[i], n=100, method="inclusive")[98] for i in starts],
        "s-",
        label="p99",
    )
    latency.set_ylabel("home page, ms")
    latency.set_title(f"Soak: {raw['seconds'] / 60:.0f} min, {len(raw['hits'])} requests")
    latency.legend()
    workers: dict[int, list[dict]] = defaultdict(list)
    for sample in raw["memory"]:
        if sample["role"] == "web":
            workers[sample["pid"]].append(sample)
    for number, samples in enumerate(workers.values(), start=1):
        minutes = [s["at"] / 60 for s in samples]
        memory.plot(minutes, [s["private"] for s in samples], label=f"worker {number} private")
        memory.plot(minutes, [s["shared"] for s in samples], ":", label=f"worker {number} shared")
    for swap in raw["swaps"]:
        if swap["seconds"] is not None:
            memory.axvline(swap["at"] / 60, color="grey", alpha=0.25, linewidth=0.8)
    memory.set_ylabel("MB (grey lines: swaps)")
    memory.set_xlabel("minutes")
    memory.set_ylim(bottom=0)
    memory.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the JSON of python -m bench.soak --json")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--window", type=float, default=5.0, help="minutes per window (5)")
    args = parser.parse_args()
    plot(json.loads(args.results.read_text()), args.out, args.window)


if __name__ == "__main__":
    main()
