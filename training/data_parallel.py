"""Train one tower pair data-parallel (recsys/models/data_parallel.py) and time it.

``python -m training.recsys data-parallel --procs 1 2`` starts each process count in turn, by
hand (``torch.multiprocessing``, one process per rank, gloo on CPU or NCCL with ``--device
cuda``), on the same synthetic table of MovieLens-25M's shape (training/recsys/scale.py), and
prints per count: global steps per second, users per second, each rank's CPU seconds and peak
memory, and the loss of every timed global batch. ``torchrun`` starts the same ranks:

    torchrun --nproc-per-node 2 -m training.data_parallel --ratings 5000000 --steps 10

Every rank builds the table and features itself from the seed (identical on every rank); that
time is reported apart and is not in the steps' timing. ``--batch-size`` is per rank, so N
ranks train N times the users per global step: the figure that says how much faster an epoch
goes is users per second (an epoch is a fixed number of users).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from training.measure import peak_memory_mb


@dataclass(frozen=True)
class DataParallelJob:
    """What every rank trains and how long: the table, the model settings, the timed steps."""

    ratings: int = 5_000_000
    users: int | None = None
    items: int | None = None
    seed: int = 0
    #: TrainConfig settings by name (``batch_size`` is per rank).
    settings: dict[str, Any] = field(default_factory=dict)
    steps: int = 10
    warmup: int = 1
    device: str = "cpu"
    threads: int = 1
    #: Write each rank's final weights here (tests compare them).
    weights_dir: str | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_rank(rank: int, world: int, job: DataParallelJob, result_path: str | None) -> None:
    """One rank: build the data, train ``warmup`` + ``steps`` global batches, report."""
    from recsys.models.config import TrainConfig
    from recsys.models.contract import TrainingData
    from recsys.models.data_parallel import DataParallelFitter, backend_for
    from recsys.models.fitting import SpikingRanker
    from recsys.models.ranker import TwoTowerRanker
    from training.recsys.scale import Shape, _tables, power_law_rows

    torch.set_num_threads(job.threads)
    if job.device.startswith("cuda"):
        torch.cuda.set_device(rank % torch.cuda.device_count())
    device = torch.device(
        f"cuda:{torch.cuda.current_device()}" if job.device.startswith("cuda") else "cpu"
    )
    dist.init_process_group(
        backend_for(device), rank=rank, world_size=world, timeout=dt.timedelta(minutes=30)
    )
    try:
        started = time.perf_counter()
        shape = Shape.fraction_of_ml25m(job.ratings)
        shape = Shape(job.users or shape.n_users, job.items or shape.n_items, job.ratings)
        rows = power_law_rows(shape.n_users, shape.n_items, shape.n_ratings, job.seed)
        users, movies, ratings = _tables(rows, job.seed)
        del rows
        builder, inputs = SpikingRanker().features(TrainingData.from_tables(users, movies, ratings))
        del users, movies, ratings
        config = TrainConfig().with_settings(**job.settings)
        torch.manual_seed(config.fit.seed)
        ranker_config = config.ranker.fitted_to(inputs.n_items)
        model = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config)
        pair = model.members[0]
        del model
        prepare_seconds = time.perf_counter() - started
        fitter = DataParallelFitter(pair, inputs, config.fit, device=device)
        batches = fitter.global_batches()
        if len(batches) < job.warmup + job.steps:
            raise ValueError(f"{len(batches)} global batches, fewer than warm-up + steps")
        pair.train()
        for batch in batches[: job.warmup]:
            fitter._step(fitter.part(batch))
        _synchronise(device)
        dist.barrier()
        wall, cpu = time.perf_counter(), time.process_time()
        for batch in batches[job.warmup : job.warmup + job.steps]:
            fitter.step_losses.append(fitter._step(fitter.part(batch)))
        _synchronise(device)
        dist.barrier()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        losses = fitter.mean_step_losses()
        if job.weights_dir:
            state = {k: v.detach().cpu() for k, v in pair.state_dict().items()}
            torch.save(state, Path(job.weights_dir) / f"rank{rank}.pt")
        mine = {
            "rank": rank,
            "prepare_seconds": prepare_seconds,
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "peak_rss_mb": peak_memory_mb(),
            "users_in_timed_steps": int(
                sum(len(fitter.part(b)) for b in batches[job.warmup : job.warmup + job.steps])
            ),
        }
        ranks: list[Any] = [None] * world
        dist.all_gather_object(ranks, mine)
        if rank == 0 and result_path:
            slowest = max(r["wall_seconds"] for r in ranks)
            users_timed = sum(r["users_in_timed_steps"] for r in ranks)
            report = {
                "processes": world,
                "backend": backend_for(device),
                "device": str(device),
                "shape": asdict(shape),
                "parameters_one_pair": sum(p.numel() for p in pair.parameters()),
                "batch_size_per_rank": config.fit.batch_size,
                "global_batch": config.fit.batch_size * world,
                "steps_per_epoch": len(batches),
                "timed_steps": job.steps,
                "steps_per_second": job.steps / slowest,
                "users_per_second": users_timed / slowest,
                "epoch_seconds_projected": len(batches) * slowest / job.steps,
                "step_losses": losses,
                "ranks": ranks,
                "threads_per_rank": job.threads,
            }
            Path(result_path).write_text(json.dumps(report, indent=2))
    finally:
        dist.destroy_process_group()


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def launch(world: int, job: DataParallelJob) -> dict[str, Any]:
    """Start ``world`` ranks on this host by hand and return rank 0's report."""
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(_free_port())
    with tempfile.TemporaryDirectory(prefix="spikelens-dp-") as folder:
        result_path = str(Path(folder) / "report.json")
        mp.start_processes(
            run_rank, args=(world, job, result_path), nprocs=world, start_method="spawn"
        )
        return json.loads(Path(result_path).read_text())


def compare(process_counts: list[int], job: DataParallelJob) -> list[dict[str, Any]]:
    """Each process count in turn on the same job; prints one line each and the speed-ups."""
    reports = []
    for world in process_counts:
        print(f"{world} process(es): building the table and training …", flush=True)
        report = launch(world, job)
        reports.append(report)
        print(_summary(report), flush=True)
    base = reports[0]
    for report in reports[1:]:
        print(
            f"{report['processes']} vs {base['processes']} process(es): "
            f"users/s ×{report['users_per_second'] / base['users_per_second']:.2f}, "
            f"global steps/s ×{report['steps_per_second'] / base['steps_per_second']:.2f}",
            flush=True,
        )
    return reports


def _summary(report: dict[str, Any]) -> str:
    ranks = report["ranks"]
    losses = ", ".join(f"{loss:.2f}" for loss in report["step_losses"])
    cpu = ", ".join(f"{rank['cpu_seconds']:.1f}" for rank in ranks)
    peak = ", ".join(f"{rank['peak_rss_mb']:.0f}" for rank in ranks)
    return (
        f"  {report['processes']} × {report['backend']} on {report['device']}: "
        f"{report['steps_per_second']:.3f} global steps/s of {report['global_batch']} users, "
        f"{report['users_per_second']:.1f} users/s, epoch ≈ "
        f"{report['epoch_seconds_projected'] / 60:.1f} min; CPU s per rank {cpu}; "
        f"peak MB per rank {peak}; "
        f"table + features {max(r['prepare_seconds'] for r in ranks):.0f} s; losses [{losses}]"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ratings", type=int, default=5_000_000)
    parser.add_argument("--users", type=int, help="default: ML-25M's, scaled with --ratings")
    parser.add_argument("--items", type=int, help="default: ML-25M's, scaled with --ratings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=10, help="timed global batches")
    parser.add_argument("--batch-size", type=int, default=512, help="users per rank and step")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (one GPU per rank)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    parser.add_argument("--json", help="write the reports here")


def job_from(args: argparse.Namespace) -> DataParallelJob:
    return DataParallelJob(
        ratings=args.ratings,
        users=args.users,
        items=args.items,
        seed=args.seed,
        settings={"batch_size": args.batch_size},
        steps=args.steps,
        device=args.device,
        threads=args.threads,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``torchrun``: one rank, from the environment torchrun sets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    result = args.json if rank == 0 else None
    run_rank(rank, world, job_from(args), result)
    if rank == 0 and result:
        print(_summary(json.loads(Path(result).read_text())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
