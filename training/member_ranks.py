"""One committee member trained over N data-parallel ranks, started from the member's task.

A member task (webapp/recommender/runs/members.py, or a worker of ``scale-retrain``) trains
its tower pair in its own process by default. With ``ranks`` > 1 it calls
:func:`fit_member_in_ranks` instead, which starts ``ranks`` processes on this host with
torch's elastic launcher (``torch.distributed.elastic.multiprocessing.start_processes``, the
machinery behind ``torchrun``), each running ``python -m training.member_ranks``: every rank
loads the run's prepared folder, joins a process group (gloo on CPU, NCCL with ``device``
``cuda``, one GPU per rank) and trains the member with
:class:`~recsys.models.data_parallel.SameDrawsFitter`, whose global batch, random draws and
averaged gradients make the member the one a single process trains, up to the order of
floating-point sums. Rank 0 reports each epoch and writes the trained member; the task gets
the same :class:`~training.committee.MemberResult` a single process returns and saves it
where it always does.

Why ranks are processes started by ``subprocess`` (the launcher's binary entrypoint) and not
``multiprocessing`` children: a Celery prefork worker's pool processes are daemonic, and a
daemonic process may not have ``multiprocessing`` children; any process may ``Popen``. So
the same call works under ``--pool=solo`` (the site's training workers), prefork, or a plain
script.

Failure: the task polls the ranks once a second. A rank that exits non-zero (an exception,
a kill, a lost GPU) ends the others (SIGTERM, then SIGKILL) and raises
:class:`MemberRanksFailed` with the rank's error; a task that stops (its ``on_epoch`` raises,
Celery's warm shutdown, a KeyboardInterrupt) ends its ranks the same way before the exception
goes on; a task killed outright leaves ranks that notice their parent is gone within a second
and exit. The launcher registers signal handlers of its own when it starts processes; they
are put back at once, so Celery's stay in charge of the worker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from recsys.models.trainer import EpochReport
from training.committee import MemberResult

PROGRESS_FILE = "progress.jsonl"
#: Seconds the ranks get to end after SIGTERM before they are killed.
CLOSE_GRACE = 10
_HANDLED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


class MemberRanksFailed(RuntimeError):
    """A rank of a member's data-parallel training failed; the message is its error."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fit_member_in_ranks(
    folder: Path,
    index: int,
    ranks: int,
    on_epoch: Callable[[EpochReport], None] | None = None,
    max_batches: int | None = None,
    device: str = "cpu",
    poll_seconds: float = 1.0,
) -> MemberResult:
    """Member ``index`` of the prepared run in ``folder`` trained over ``ranks`` processes.

    ``on_epoch`` is called here, in the calling process, after each of rank 0's epochs; if it
    raises, the ranks are ended and the exception goes on (the member task's stop checks).
    """
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, Std, start_processes

    if ranks < 1:
        raise ValueError(f"ranks must be at least 1, got {ranks}")
    scratch = Path(tempfile.mkdtemp(prefix=f"spikelens-member-{index}-ranks-"))
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    common = {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "WORLD_SIZE": str(ranks),
        "LOCAL_WORLD_SIZE": str(ranks),
        "PYTHONPATH": path,
        "TORCHELASTIC_RUN_ID": f"member-{index}",
    }
    envs = {rank: {**common, "RANK": str(rank), "LOCAL_RANK": str(rank)} for rank in range(ranks)}
    command = ["-m", "training.member_ranks", str(folder), str(index), str(scratch)]
    # A rank's torch threads: the run's setting if it has one, else the task's share, so R
    # ranks do not each take every core (threads spinning on a shared core cost 2-3x CPU).
    share = max(1, torch.get_num_threads() // ranks)
    command += ["--device", device, "--parent", str(os.getpid()), "--threads", str(share)]
    if max_batches:
        command += ["--max-batches", str(max_batches)]
    logs = DefaultLogsSpecs(log_dir=str(scratch / "logs"), redirects=Std.ALL)
    context = None
    try:
        with _signals_kept():
            context = start_processes(
                name=f"member-{index}",
                entrypoint=sys.executable,
                args={rank: tuple(command) for rank in range(ranks)},
                envs=envs,
                logs_specs=logs,
            )
        progress = _Progress(scratch / PROGRESS_FILE, on_epoch)
        while True:
            finished = context.wait(timeout=poll_seconds, period=min(poll_seconds, 0.2))
            progress.read()
            if finished is not None:
                break
        if finished.is_failed():
            raise MemberRanksFailed(_failure_message(index, ranks, finished, context))
        progress.read()
        from training.committee import load_member

        return load_member(scratch, index)
    finally:
        if context is not None:
            context.close(timeout=CLOSE_GRACE)
        shutil.rmtree(scratch, ignore_errors=True)


class _signals_kept:
    """Put back the signal handlers that ``start_processes`` replaces (main thread only)."""

    def __enter__(self) -> None:
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for name in _HANDLED_SIGNALS:
                number = getattr(signal, name, None)
                handler = None if number is None else signal.getsignal(number)
                if handler is not None:  # None: installed outside Python, cannot be put back
                    self.saved[number] = handler

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.saved.items():
            signal.signal(number, handler)


class _Progress:
    """Rank 0's epoch lines, passed on to ``on_epoch`` as they appear."""

    def __init__(self, path: Path, on_epoch: Callable[[EpochReport], None] | None) -> None:
        self.path, self.on_epoch, self.offset = path, on_epoch, 0

    def read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]
        self.offset += len(whole)
        for line in whole.splitlines():
            if self.on_epoch is not None:
                self.on_epoch(EpochReport(**json.loads(line)))


#: Words of an error a rank raises because a peer went away (gloo, NCCL), not of a cause.
_PEER_LOST = (
    "Connection reset by peer",
    "Connection closed by peer",
    "Broken pipe",
    "remote process exited",
)


def _root_failure(failures: dict):
    """The failed rank that caused the others to fail.

    Failure timestamps are whole seconds, so a killed rank and the peer whose next
    all-reduce breaks on it usually tie. A peer's failure is recognisable: the launcher
    ends the survivors with SIGTERM, and a rank that lost its peer raises a connection
    error. Those come last; among the rest the earliest, then the lowest rank, is the cause.
    """

    def consequence(failure) -> bool:
        if failure.exitcode == -signal.SIGTERM:
            return True
        return any(words in _recorded_error(failure) for words in _PEER_LOST)

    return min(failures.values(), key=lambda f: (consequence(f), f.timestamp, f.local_rank))


def _recorded_error(failure) -> str:
    """The exception a rank recorded in its error file; "" when it recorded none (a kill)."""
    message = (failure.error_file_data or {}).get("message", "")
    return message.get("message", "") if isinstance(message, dict) else str(message)


def _failure_message(index: int, ranks: int, finished, context) -> str:
    """The causing rank's error: its recorded exception, else its stderr's last lines."""
    failure = _root_failure(finished.failures)
    rank = failure.local_rank
    reason = f"exit code {failure.exitcode}"
    if failure.exitcode < 0:
        reason = f"killed by {signal.Signals(-failure.exitcode).name}"
    detail = _recorded_error(failure)
    if not detail:
        stderr = context.stderrs.get(rank)
        if stderr and Path(stderr).is_file():
            lines = Path(stderr).read_text(errors="replace").strip().splitlines()
            detail = "\n".join(lines[-5:])
    text = f"member {index}: rank {rank} of {ranks} failed ({reason})"
    return f"{text}: {detail}" if detail else text


# ----------------------------------------------------------------------------- one rank


def _exit_with_parent(parent: int) -> None:
    """End this rank within a second of its task's process ending, however it ended."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def run_rank(
    folder: Path,
    index: int,
    scratch: Path,
    device: str,
    max_batches: int | None,
    threads: int = 1,
) -> None:
    """One rank: the prepared run, the process group, the member's epochs; rank 0 reports."""
    import torch.distributed as dist

    from recsys.models.data_parallel import SameDrawsFitter, backend_for
    from training.committee import load_prepared, member_fitter, save_member, train_epochs

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    prepared = load_prepared(folder)
    torch.set_num_threads(prepared.config.torch_threads or threads)
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]) % torch.cuda.device_count())
        device = f"cuda:{torch.cuda.current_device()}"
    dist.init_process_group(
        backend_for(device), rank=rank, world_size=world, timeout=dt.timedelta(minutes=30)
    )
    try:
        fitter = member_fitter(prepared, index, SameDrawsFitter, device=device)
        progress = scratch / PROGRESS_FILE

        def report(epoch: EpochReport) -> None:
            if rank == 0:
                with progress.open("a") as handle:
                    handle.write(json.dumps(epoch.__dict__) + "\n")

        result = train_epochs(fitter, index, report, max_batches)
        if rank == 0:
            result.state = {name: value.cpu() for name, value in result.state.items()}
            save_member(result, scratch)
    finally:
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    """The rank's command line (the launcher passes it; not meant to be typed)."""
    from torch.distributed.elastic.multiprocessing.errors import record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("index", type=int)
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-batches", type=int)
    parser.add_argument("--parent", type=int, help="end when this process is gone")
    parser.add_argument("--threads", type=int, default=1, help="unless the run sets them")
    args = parser.parse_args(argv)
    if args.parent:
        _exit_with_parent(args.parent)
    record(run_rank)(
        args.folder, args.index, args.scratch, args.device, args.max_batches, args.threads
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
