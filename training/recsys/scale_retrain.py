"""A whole retraining on a synthetic table of MovieLens-25M's shape, stage by stage, N workers.

``python -m training.recsys scale-retrain --ratings 1000000 --workers 1 2`` runs what a site
retraining runs (training/committee.py, the code behind the Celery chord), on a table drawn by
training/recsys/scale.py instead of a database snapshot:

* **table**: the synthetic rating table, with users' and movies' tables around it (the
  snapshot's stand-in);
* **prepare**: the protocol split, the features, the co-rating readout's fit (neighbourhoods
  above 8,192 movies) and every member's initial weights, written to a folder;
* **members**: the committee's members trained by N worker processes (one member per process
  at a time, as N Celery workers take them), each reading the prepared folder; with
  ``--ranks R`` each member is trained over R data-parallel processes its worker starts
  (training/member_ranks.py, what a member task does with ``SPIKELENS_MEMBER_RANKS``);
* **finish**: the committee evaluated on a seeded sample of users, the match calibrated, the
  artifact written, in a process of its own.

For each stage it prints wall seconds, CPU seconds (every process of the stage, ranks
included) and peak resident memory (the largest process). ``table`` and ``prepare`` run once;
``members`` and ``finish`` once per worker count and rank count. With ranks, ``batch_size``
stays the member's global batch (each of R ranks steps batch_size / R users), so the model
does not change with R beyond float sums. Epochs may be reduced (``--epochs``) and cut to
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

from recsys.metrics.names import N_EVAL_USERS, NDCG_AT_10, RECALL_AT_10, TRAIN_SECONDS
from recsys.models.config import TrainConfig
from training.measure import children_cpu_seconds, children_peak_mb, peak_memory_mb


def _timed(call) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, {
        "wall_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": peak_memory_mb(),
    }


def _member_in_worker(
    folder: str,
    index: int,
    max_batches: int | None,
    threads: int,
    ranks: int = 1,
    device: str = "cpu",
) -> dict:
    from training.committee import fit_member_from, save_member

    torch.set_num_threads(threads)
    started, started_cpu = time.perf_counter(), time.process_time()
    children_cpu = children_cpu_seconds()
    result = fit_member_from(Path(folder), index, ranks, max_batches=max_batches, device=device)
    save_member(result, Path(folder))
    ranks_peak = children_peak_mb()
    return {
        "member": index,
        "ranks": ranks,
        "wall_seconds": time.perf_counter() - started,
        # The ranks are this worker's children, waited for: their CPU time is counted here.
        "cpu_seconds": time.process_time() - started_cpu + children_cpu_seconds() - children_cpu,
        "peak_rss_mb": max(peak_memory_mb(), ranks_peak) if ranks > 1 else peak_memory_mb(),
        # The epochs alone (timed where they ran): the wall above also holds reading the
        # prepared run and, with ranks, starting them and joining their process group.
        TRAIN_SECONDS: result.seconds[-1] if result.seconds else 0.0,
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
    ranks: list[int] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Every stage of a retraining at ``n_ratings``' ML-25M shape, members on each count of
    workers × ranks per member (``ranks``: default one process per member; ``device``: where
    ranked members train, ``cuda`` for one GPU per rank)."""
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
        "device": device,
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
        for count, per_member in [(c, r) for c in workers for r in ranks or [1]]:
            started = time.perf_counter()
            with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
                futures = [
                    pool.submit(
                        _member_in_worker,
                        folder,
                        index,
                        max_batches or None,
                        threads,
                        per_member,
                        device,
                    )
                    for index in range(config.ranker.members)
                ]
                members = [future.result() for future in futures]
            members_wall = time.perf_counter() - started
            trained = ", ".join(f"{m[TRAIN_SECONDS]:.1f}" for m in members)
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                finish = pool.submit(
                    _finish_in_worker, folder, f"artifact-{count}-{per_member}", threads
                ).result()
            run = {
                "workers": count,
                "ranks_per_member": per_member,
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
                f"{count} worker(s) × {per_member} rank(s): members wall {members_wall:.1f} s "
                f"(epochs {trained} s), CPU "
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
