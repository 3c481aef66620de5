"""A whole retraining on a synthetic table of MovieLens-25M's shape, stage by stage, N workers.

``python -m training.recsys scale-retrain --ratings 1000000 --workers 1 2`` runs what a site
retraining runs (training/committee.py, the code behind the Celery chord), on a table drawn by
training/recsys/scale.py instead of a database snapshot:

* **table**: the synthetic rating table, with users' and movies' tables around it (the
  snapshot's stand-in);
* **prepare**: the protocol split, the features, the co-rating readout's fit (neighbourhoods
  above 8,192 movies) and every member's initial weights, written to a folder;
* **members**: the committee's members trained by N worker processes (one member per process
  at a time, as N Celery workers take them), each reading the prepared folder;
* **finish**: the committee evaluated on a seeded sample of users, the match calibrated, the
  artifact written, in a process of its own.

For each stage it prints wall seconds, CPU seconds (every process of the stage) and peak
resident memory (the largest process). ``table`` and ``prepare`` run once; ``members`` and
``finish`` once per worker count. Epochs may be reduced (``--epochs``) and cut to
``--max-batches`` batches each: say so when quoting the figures, and scale them by
(full batches / timed batches) × (epochs / timed epochs) for a full retraining.
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from recsys.metrics.names import N_EVAL_USERS, NDCG_AT_10, RECALL_AT_10
from recsys.models.config import TrainConfig
from training.measure import peak_memory_mb


def _timed(call) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, {
        "wall_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": peak_memory_mb(),
    }


def _member_in_worker(folder: str, index: int, max_batches: int | None, threads: int) -> dict:
    from training.committee import fit_member, load_prepared, save_member

    torch.set_num_threads(threads)
    started, started_cpu = time.perf_counter(), time.process_time()
    prepared = load_prepared(Path(folder))
    result = fit_member(prepared, index, max_batches=max_batches)
    save_member(result, Path(folder))
    return {
        "member": index,
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - started_cpu,
        "peak_rss_mb": peak_memory_mb(),
        "losses": result.losses,
    }


def _finish_in_worker(folder: str, name: str, threads: int) -> dict:
    from training.committee import finish_committee, load_member, load_prepared

    torch.set_num_threads(threads)
    started, started_cpu = time.perf_counter(), time.process_time()
    prepared = load_prepared(Path(folder))
    members = [load_member(Path(folder), index) for index in range(prepared.members)]
    artifact = Path(folder) / name
    result = finish_committee(prepared, members, artifact)
    keys = (NDCG_AT_10, RECALL_AT_10, N_EVAL_USERS)
    return {
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - started_cpu,
        "peak_rss_mb": peak_memory_mb(),
        "metrics": {k: result.metrics[k] for k in keys if k in result.metrics},
        "artifact_mb": sum(f.stat().st_size for f in artifact.rglob("*") if f.is_file()) / 2**20,
    }


def run_scale_retrain(
    n_ratings: int,
    workers: list[int],
    epochs: int = 1,
    max_batches: int | None = 5,
    eval_users: int = 2000,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    threads: int = 1,
    json_path: str | None = None,
) -> dict[str, Any]:
    """Every stage of a retraining at ``n_ratings``' ML-25M shape, members on each count."""
    from training.committee import prepare_committee, save_prepared
    from training.recsys.scale import Shape, _tables, power_law_rows

    torch.set_num_threads(threads)
    config = TrainConfig().with_settings(epochs=epochs, **(settings or {}))
    shape = Shape.fraction_of_ml25m(n_ratings)
    report: dict[str, Any] = {
        "shape": shape.__dict__,
        "epochs": epochs,
        "max_batches": max_batches,
        "members": config.ranker.members,
        "batch_size": config.fit.batch_size,
        "eval_users": eval_users,
        "threads_per_process": threads,
    }
    print(f"shape {json.dumps(report)}", flush=True)

    def table():
        rows = power_law_rows(shape.n_users, shape.n_items, shape.n_ratings, seed)
        return _tables(rows, seed)

    tables, report["table"] = _timed(table)
    print(f"table {json.dumps(report['table'])}", flush=True)
    with tempfile.TemporaryDirectory(prefix="spikelens-scale-retrain-") as folder:

        def prepare():
            prepared = prepare_committee(*tables, config, eval_users=eval_users)
            save_prepared(prepared, Path(folder))

        _, report["prepare"] = _timed(prepare)
        report["prepare"]["note"] = "peak includes the table (same process)"
        print(f"prepare {json.dumps(report['prepare'])}", flush=True)
        tables = None  # the members and the finish read the prepared folder
        report["runs"] = []
        context = multiprocessing.get_context("spawn")
        for count in workers:
            started = time.perf_counter()
            with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
                futures = [
                    pool.submit(_member_in_worker, folder, index, max_batches or None, threads)
                    for index in range(config.ranker.members)
                ]
                members = [future.result() for future in futures]
            members_wall = time.perf_counter() - started
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                finish = pool.submit(
                    _finish_in_worker, folder, f"artifact-{count}", threads
                ).result()
            run = {
                "workers": count,
                "members": {
                    "wall_seconds": members_wall,
                    "cpu_seconds": sum(m["cpu_seconds"] for m in members),
                    "peak_rss_mb": max(m["peak_rss_mb"] for m in members),
                    "each": members,
                },
                "finish": finish,
            }
            report["runs"].append(run)
            print(
                f"{count} worker(s): members wall {members_wall:.1f} s, CPU "
                f"{run['members']['cpu_seconds']:.1f} s, peak {run['members']['peak_rss_mb']:.0f}"
                f" MB; finish wall {finish['wall_seconds']:.1f} s, CPU "
                f"{finish['cpu_seconds']:.1f} s, peak {finish['peak_rss_mb']:.0f} MB; "
                f"{json.dumps(finish['metrics'])}",
                flush=True,
            )
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report, indent=2))
    return report
