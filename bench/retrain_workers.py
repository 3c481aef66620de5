"""Retraining with 1, 2, … Celery training workers: wall time, CPU time and peak memory.

``python -m bench.retrain_workers --workers 1 2`` retrains the site's committee (the database's
ratings, the default preset unless ``--preset small``) once per worker count, each time with
that many ``celery worker --pool=solo --concurrency=1`` processes on one training queue of its
own, and its members as a chord (``SPIKELENS_PARALLEL_MEMBERS=1``). It prints per worker count
the run's wall time and its stages from the database's timestamps (prepare: the run's start to
the first member's; members: to the last member's end; finish: evaluation, artifact, gate), each
worker's CPU seconds and peak resident memory (``/proc``), the speed-up over the first count,
and whether every version scores every sampled user exactly as the first one does.
``--ranks R`` has each member task train its member over R data-parallel processes
(``SPIKELENS_MEMBER_RANKS``, training/member_ranks.py): a worker's CPU seconds then include its
ranks' (reaped children), its peak memory is its own process's, and the scores equal the first
count's up to float sums (the largest difference is printed).

Needs the production services: ``DATABASE_URL`` a PostgreSQL database with MovieLens imported,
``CELERY_BROKER_URL`` a Redis (the chord's count lives in its result backend). Versions are
registered, never promoted (``promotion="never"``), so an active model is not touched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import django

from recsys.metrics.names import PEAK_MB
from training.measure import process_peak_mb

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from bench.stack import production_services  # noqa: E402
from webapp.local_server import PROJECT_ROOT, database_url  # noqa: E402
from webapp.recommender.models import TrainingRun  # noqa: E402
from webapp.recommender.runs import dispatch  # noqa: E402
from webapp.recommender.runs.lifecycle import TrainingOptions  # noqa: E402


def start_workers(count: int, queue: str, env: dict[str, str], logs: Path) -> list:
    workers = []
    for index in range(count):
        log = (logs / f"worker-{count}-{index}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "webapp", "worker", "--pool=solo"]
        command += ["--concurrency=1", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "--loglevel=INFO", "-Q", queue]
        command += ["-n", f"bench{index}-{queue}@%h"]
        workers.append(
            subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
    deadline = time.monotonic() + 120
    for index in range(count):
        path = logs / f"worker-{count}-{index}.log"
        while "ready." not in path.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {index} not ready:\n{path.read_text()}")
            time.sleep(0.2)
    return workers


def proc_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process and of its children it has waited for (a member's ranks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def retrain_with(count: int, args: argparse.Namespace, logs: Path) -> dict:
    """One retraining on ``count`` workers; 0 is today's one-task run on one worker (no
    chord: the committee trained in one process, its metric monitored every epoch)."""
    queue = f"bench-retrain-{uuid.uuid4().hex[:8]}"
    one_task = count == 0
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SPIKELENS_PARALLEL_MEMBERS": "0" if one_task else "1",
        "SPIKELENS_TRAINING_PRESET": args.preset,
        "SPIKELENS_TRAINING_THREADS": str(args.threads),
        "SPIKELENS_MEMBER_RANKS": str(args.ranks),
        "PYTHONUNBUFFERED": "1",
    }
    if args.members:
        env["SPIKELENS_TRAINING_MEMBERS"] = str(args.members)
    workers = start_workers(max(count, 1), queue, env, logs)
    settings.SPIKELENS_TRAINING_QUEUE = queue
    try:
        cpu_before = [proc_cpu_seconds(w.pid) for w in workers]
        run = dispatch.request_training(TrainingOptions(epochs=args.epochs, promotion="never"))
        while TrainingRun.objects.filter(pk=run.pk, state__in=TrainingRun.ACTIVE_STATES).exists():
            time.sleep(0.5)
        run.refresh_from_db()
        if run.state != TrainingRun.State.SUCCEEDED:
            raise RuntimeError(f"run {run.pk} {run.state}: {run.message}")
        cpu = [proc_cpu_seconds(w.pid) - b for w, b in zip(workers, cpu_before, strict=True)]
        peak = [process_peak_mb(w.pid) for w in workers]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    members = list(run.members.order_by("index"))
    wall = (run.finished_at - run.started_at).total_seconds()
    first_start = min((m.started_at for m in members), default=run.started_at)
    last_end = max((m.finished_at for m in members), default=run.finished_at)
    return {
        "workers": count,
        "label": "1 worker, one task (today's run)"
        if one_task
        else f"{count} worker(s) × {args.ranks} rank(s), chord",
        "run": run.pk,
        "version": run.model_version,
        "wall": wall,
        "prepare": (first_start - run.started_at).total_seconds(),
        "members": (last_end - first_start).total_seconds() if members else wall,
        "finish": (run.finished_at - last_end).total_seconds(),
        "member_seconds": [(m.finished_at - m.started_at).total_seconds() for m in members],
        "member_workers": [m.worker.split("@")[0] for m in members],
        "cpu": cpu,
        PEAK_MB: peak,
        "ndcg": run.model_version.ndcg,
    }


def sampled_scores(version, users: int = 50) -> np.ndarray:
    """Top-20 scores of the first ``users`` users with ratings, from the version's artifact."""
    from recsys.serving import UserQuery, load_recommender
    from webapp.catalog.models import Rating

    recommender = load_recommender(version.artifact_path)
    ids = list(Rating.objects.order_by("user_id").values_list("user_id", flat=True).distinct())
    rows = []
    for user in ids[:users]:
        ratings = dict(Rating.objects.filter(user_id=user).values_list("movie_id", "score"))
        picks = recommender.recommend(UserQuery(user_id=user, ratings=ratings), k=20)
        rows.append([float(p.score) for p in picks])
    return np.array(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker counts in turn; 0 = today's one-task run on one worker",
    )
    parser.add_argument("--preset", default="default", choices=["default", "small"])
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--members", type=int, help="default: the preset's committee")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument(
        "--ranks", type=int, default=1, help="data-parallel processes per member task"
    )
    parser.add_argument("--logs", default="data/bench/retrain_workers")
    args = parser.parse_args(argv)
    why = production_services()
    if why:
        parser.error(f"needs PostgreSQL and Redis: {why}")
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()}", flush=True)
    results = []
    for count in args.workers:
        print(f"{count or 'one-task'} worker(s): retraining …", flush=True)
        result = retrain_with(count, args, logs)
        results.append(result)
        print(
            f"  {result['label']}, run {result['run']}: wall {result['wall']:.1f} s (prepare {result['prepare']:.1f}, "
            f"members {result['members']:.1f}, finish {result['finish']:.1f}); members "
            f"{', '.join(f'{s:.1f}' for s in result['member_seconds'])} s on "
            f"{', '.join(result['member_workers'])}; CPU s per worker "
            f"{', '.join(f'{c:.1f}' for c in result['cpu'])}; peak MB per worker "
            f"{', '.join(f'{m:.0f}' for m in result[PEAK_MB])}; nDCG@10 {result['ndcg']:.4f}",
            flush=True,
        )
    base = results[0]
    reference = sampled_scores(base["version"])
    for result in results[1:]:
        scores = sampled_scores(result["version"])
        same = np.array_equal(scores, reference)
        gap = float(np.abs(scores - reference).max()) if scores.shape == reference.shape else None
        print(
            f"{result['label']} vs {base['label']}: wall ×"
            f"{base['wall'] / result['wall']:.2f} faster, members stage ×"
            f"{base['members'] / result['members']:.2f}; identical scores: {same}"
            f" (largest difference {gap})",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
