"""The command behind ``python -m bench.swaps``: web workers' memory over alternating promotions.

Starts the production stack (``bin/run``: gunicorn with the site's configuration and two
workers, a Celery worker and beat, on PostgreSQL + Redis), takes every model version away and
samples each web worker's memory without a model, then promotes two versions in turn
``--swaps`` times. After each promotion it waits until every worker maps the new version's
files and none of the old one's (/proc/<pid>/maps: a swap is complete only when the old
version is gone), then samples /proc/<pid>/smaps_rollup. Prints each worker's private and
shared memory after each swap, the model's private memory (private minus the sample without
a model) and the growth of private memory from the 2nd to the last swap.

Targets: growth ≤ 10 % and the model's private memory ≤ 100 MB per worker.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.loadtest import machine_description
from bench.procmem import memory
from bench.site_prep import ensure_catalogue, make_visitors, poker, two_versions
from bench.stack import ProductionStack, production_services
from webapp.recommender import registry
from webapp.recommender.models import ModelVersion

TARGET_GROWTH = 0.10
TARGET_MODEL_MB = 100.0


def growth(first: float, last: float) -> float:
    return (last - first) / first if first else float("nan")


class Command(BaseCommand):
    help = "Memory of each web worker over alternating promotions of two model versions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--swaps", type=int, default=30, help="promotions (30)")
        parser.add_argument(
            "--epochs",
            type=int,
            default=2,
            help="epochs of a version trained when fewer than two exist (2; the preset's shape)",
        )
        parser.add_argument("--json", default="", help="also write the samples to this file")
        parser.add_argument(
            "--swap-timeout", type=float, default=300, help="seconds one swap may take (300)"
        )

    def handle(self, *args, **options) -> None:
        problem = production_services()
        if problem:
            raise CommandError(f"{problem}; see the README's production setup.")
        self.stdout.write("1/4 the catalogue and two model versions…")
        ensure_catalogue(self.stdout)
        first, second = two_versions(options["epochs"], self.stdout)
        registry.promote(first)  # so bin/run's prepare_site queues no first training
        people = make_visitors(4, "bench-swaps")
        visitors = [visitor for _, visitor in people]
        load_before = os.getloadavg()
        with tempfile.TemporaryDirectory(prefix="spikelens-swaps-") as scratch:
            self.stdout.write("2/4 starting the production stack (bin/run)…")
            stack = ProductionStack(Path(scratch))
            try:
                stack.wait_ready()
                rows, baseline = self._swap(stack, visitors, first, second, options)
            finally:
                status = stack.stop()
                log = stack.log()
        if status != 0:
            self.stderr.write(f"bin/run ended with status {status}:\n{log[-3000:]}")
        report = self._report(rows, baseline, options, load_before, os.getloadavg())
        self.stdout.write(report)
        if options["json"]:
            Path(options["json"]).write_text(
                json.dumps({"baseline": baseline, "swaps": rows}, indent=1)
            )

    def _swap(self, stack, visitors, first, second, options):
        poke = poker(stack.url, visitors)
        workers = stack.web_workers()
        self.stdout.write(f"   web workers {workers}; taking every version away…")
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        stack.wait_serving(None, poke, options["swap_timeout"])
        for _ in range(20):  # settle: requests without a model, so caches and threads fill
            poke()
        baseline = {pid: self._sample(pid) for pid in workers}
        self.stdout.write(
            "3/4 without a model: "
            + ", ".join(f"{pid} private {b['private']:.0f} MB" for pid, b in baseline.items())
        )
        rows = []
        for number in range(1, options["swaps"] + 1):
            version = first if number % 2 else second
            promoted_at = time.monotonic()
            registry.promote(version)
            waited = stack.wait_serving(
                Path(version.artifact_path).name, poke, options["swap_timeout"]
            )
            for _ in range(3):
                poke()
            now = {pid: self._sample(pid) for pid in stack.web_workers()}
            rows.append(
                {
                    "swap": number,
                    "version": version.name,
                    "seconds": round(time.monotonic() - promoted_at, 1),
                    "waited": round(waited, 1),
                    "workers": now,
                }
            )
            line = "; ".join(
                f"{pid}: private {m['private']:.0f} MB (model "
                f"{m['private'] - baseline.get(pid, m)['private']:.0f}), shared {m['shared']:.0f}"
                for pid, m in now.items()
            )
            self.stdout.write(f"   swap {number:2d} → {version.name} in {waited:.1f} s: {line}")
        return rows, baseline

    @staticmethod
    def _sample(pid: int) -> dict:
        sample = memory(pid)
        if sample is None:
            return {"private": float("nan"), "private_dirty": float("nan"), "shared": float("nan")}
        return {
            "private": round(sample.private, 1),
            "private_dirty": round(sample.private_dirty, 1),
            "shared": round(sample.shared, 1),
            "rss": round(sample.rss, 1),
        }

    def _report(self, rows, baseline, options, load_before, load_after) -> str:
        pids = sorted(baseline)
        header = "| swap | version | s | " + " | ".join(
            f"worker {i + 1} private MB (model) | shared MB" for i in range(len(pids))
        )
        lines = [
            "",
            f"## {options['swaps']} alternating promotions — {dt.date.today().isoformat()}",
            f"Machine: {machine_description()}. Load average (1 min) before {load_before[0]:.2f},"
            f" after {load_after[0]:.2f}.",
            "Worker private = Private_Clean + Private_Dirty, shared = Shared_Clean + Shared_Dirty "
            "(/proc/<pid>/smaps_rollup); model = private − private without a model.",
            "",
            header + " |",
            "|---|---|---|" + "---|---|" * len(pids),
            "| 0 | (none) | | "
            + " | ".join(
                f"{baseline[p]['private']:.0f} | {baseline[p]['shared']:.0f}" for p in pids
            )
            + " |",
        ]
        for row in rows:
            cells = []
            for pid in pids:
                m = row["workers"].get(pid)
                if m is None:
                    cells.append("(restarted) | ")
                    continue
                model = m["private"] - baseline[pid]["private"]
                cells.append(f"{m['private']:.0f} ({model:.0f}) | {m['shared']:.0f}")
            lines.append(
                f"| {row['swap']} | {row['version']} | {row['waited']:.1f} | "
                + " | ".join(cells)
                + " |"
            )
        lines.append("")
        verdicts = []
        for index, pid in enumerate(pids):
            series = [r["workers"][pid]["private"] for r in rows if pid in r["workers"]]
            if len(series) < 2 or len(series) < len(rows):
                verdicts.append(f"worker {index + 1} ({pid}): restarted during the run")
                continue
            change = growth(series[1], series[-1])
            model = max(s - baseline[pid]["private"] for s in series)
            verdicts.append(
                f"worker {index + 1} ({pid}): private {series[1]:.0f} MB after swap 2 → "
                f"{series[-1]:.0f} MB after swap {len(series)}: {100 * change:+.1f} % "
                f"({'meets' if change <= TARGET_GROWTH else 'misses'} ≤ 10 %); the model's "
                f"private memory at most {model:.0f} MB "
                f"({'meets' if model <= TARGET_MODEL_MB else 'misses'} ≤ 100 MB)"
            )
        lines += verdicts
        waits = [r["waited"] for r in rows]
        if waits:
            lines.append(
                f"Swaps completed: {len(rows)} of {options['swaps']}; every worker on the new "
                f"version and off the old one after a median {statistics.median(waits):.1f} s "
                f"(max {max(waits):.1f} s)."
            )
        return "\n".join(lines)
