"""A committee member trained over data-parallel ranks started from its task
(training/member_ranks.py): the member one process trains, and a rank that fails fails the
member at once, with its error and without processes left behind."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from recsys.data.synthetic import planted_genre_tables
from tests.rank_processes import member_ranks_mentioning
from training.committee import (
    fit_member,
    fit_member_from,
    load_prepared,
    prepare_committee,
    save_prepared,
)
from training.member_ranks import MemberRanksFailed, _root_failure, fit_member_in_ranks
from training.pipeline import TrainConfig

pytestmark = pytest.mark.slow  # starts rank processes

# 3 members, of which member 1 is trained (its own seed, not the run's); batches of 13 users
# are shared 7 + 6, so the ranks' gradients must be weighted by their shares; above 24 movies
# a step samples the catalogue, so the sampled path's draws and weights are shared out too.
# The corruptions keep their defaults.
CONFIG = TrainConfig.small(
    members=3, epochs=2, batch_size=13, full_catalogue_up_to=24, item_sample=12
)
MEMBER = 1


@pytest.fixture(scope="module")
def prepared_folder(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    tables = planted_genre_tables(n_users=60, n_movies=40, ratings_per_user=12, seed=5)
    folder = tmp_path_factory.mktemp("parts")
    prepared = prepare_committee(tables.users, tables.movies, tables.ratings, CONFIG)
    save_prepared(prepared, folder)
    return folder


@pytest.fixture(scope="module")
def long_prepared_folder(tmp_path_factory) -> Path:
    """The same run with epochs enough that its ranks are still training when a test acts on
    the first epoch's report (two epochs can be over before the task reads the first)."""
    tables = planted_genre_tables(n_users=60, n_movies=40, ratings_per_user=12, seed=5)
    folder = tmp_path_factory.mktemp("long")
    config = CONFIG.with_settings(epochs=1000)
    save_prepared(prepare_committee(tables.users, tables.movies, tables.ratings, config), folder)
    return folder


def _rank_children() -> list[int]:
    """This process's children that run a member rank (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"training.member_ranks" in command:
            found.append(int(entry.name))
    return found


def test_two_ranks_train_the_member_one_process_trains(prepared_folder):
    alone = fit_member(load_prepared(prepared_folder), MEMBER)
    epochs = []
    ranked = fit_member_from(prepared_folder, MEMBER, ranks=2, on_epoch=epochs.append)
    assert ranked.index == MEMBER
    assert [report.epoch for report in epochs] == [1, 2]
    assert [report.loss for report in epochs] == ranked.losses
    assert ranked.state.keys() == alone.state.keys()
    initial = load_prepared(prepared_folder).model.members[MEMBER].state_dict()
    moved = [name for name, value in alone.state.items() if not torch.equal(value, initial[name])]
    assert moved, "the member did not train"
    for name, value in alone.state.items():
        assert ranked.state[name].device.type == "cpu"
        torch.testing.assert_close(ranked.state[name], value, rtol=1e-4, atol=1e-5, msg=name)
    # The epoch loss is the mean of the global batches' losses, as one process reports it.
    np.testing.assert_allclose(ranked.losses, alone.losses, rtol=1e-5)
    assert _rank_children() == []


def test_a_killed_rank_fails_the_member_and_ends_the_others(long_prepared_folder):
    killed = []

    def kill_rank_1(report) -> None:
        if not killed:
            children = sorted(_rank_children())
            assert len(children) == 2
            os.kill(children[1], signal.SIGKILL)  # the ranks are started in rank order
            killed.append(children[1])

    started = time.monotonic()
    with pytest.raises(
        MemberRanksFailed, match=r"member 1: rank 1 of 2 failed \(killed by SIGKILL"
    ):
        fit_member_in_ranks(long_prepared_folder, MEMBER, 2, on_epoch=kill_rank_1, poll_seconds=0.2)
    assert killed and time.monotonic() - started < 60
    assert _rank_children() == []


def test_a_stop_in_the_task_ends_its_ranks(prepared_folder):
    def stop(report) -> None:
        raise KeyboardInterrupt  # what a worker's stop check raises between epochs

    with pytest.raises(KeyboardInterrupt):
        fit_member_in_ranks(prepared_folder, MEMBER, 2, on_epoch=stop, poll_seconds=0.2)
    assert _rank_children() == []


def _in_daemonic_process(folder: str, queue) -> None:
    try:
        fit_member_in_ranks(Path(folder), 0, 2, poll_seconds=0.2)
        queue.put("trained")
    except Exception as exc:  # the test reads the error's text
        queue.put(f"{type(exc).__name__}: {exc}")


def test_a_ranks_error_is_surfaced_even_from_a_daemonic_worker(tmp_path):
    """No prepared run in the folder: every rank raises, the first one's error is the member's.
    Raised in a daemonic process (what a prefork Celery worker's pool process is), which may
    not start ``multiprocessing`` children but may start the ranks."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_in_daemonic_process, args=(str(tmp_path), queue), daemon=True)
    worker.start()
    message = queue.get(timeout=60)
    worker.join(10)
    assert message.startswith("MemberRanksFailed: member 0: rank ")
    assert "FileNotFoundError" in message and "prepared.pkl" in message


def _train_and_report(folder: str, queue) -> None:
    fit_member_in_ranks(Path(folder), 0, 2, on_epoch=lambda r: queue.put(r.epoch))


def test_ranks_end_when_their_task_is_killed(tmp_path):
    """A worker killed outright (SIGKILL, no clean-up) leaves no rank training on."""
    torch.set_num_threads(1)
    tables = planted_genre_tables(n_users=60, n_movies=40, ratings_per_user=12, seed=5)
    long_run = CONFIG.with_settings(epochs=5000)  # far longer than this test waits
    save_prepared(
        prepare_committee(tables.users, tables.movies, tables.ratings, long_run), tmp_path
    )
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    task = context.Process(target=_train_and_report, args=(str(tmp_path), queue))
    task.start()
    try:
        assert queue.get(timeout=60) == 1
        assert len(member_ranks_mentioning(tmp_path)) == 2
    finally:
        task.kill()
        task.join(10)
    deadline = time.monotonic() + 15
    while member_ranks_mentioning(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert member_ranks_mentioning(tmp_path) == []


def _failure(tmp_path: Path, rank: int, exitcode: int, message: str | None, timestamp: int):
    """A launcher's record of a failed rank, read from an error file as the rank writes it."""
    from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

    error_file = tmp_path / f"error-{rank}.json"
    if message is not None:
        data = {"message": {"message": message, "extraInfo": {"timestamp": str(timestamp)}}}
        error_file.write_text(json.dumps(data))
    return ProcessFailure(
        local_rank=rank, pid=1000 + rank, exitcode=exitcode, error_file=str(error_file)
    )


def test_the_killed_rank_is_named_not_the_peer_that_lost_it(tmp_path):
    """What CI met: rank 1 is SIGKILLed; rank 0's all-reduce breaks on it, its error is
    recorded a second *before* the launcher notices rank 1, and the launcher then ends rank 0
    with SIGTERM. The member's error names rank 1."""
    now = int(time.time())
    lost = "RuntimeError: [gloo/transport/tcp/pair.cc:537] Read error: Connection reset by peer"
    failures = {
        0: _failure(tmp_path, 0, -signal.SIGTERM, lost, now - 1),
        1: _failure(tmp_path, 1, -signal.SIGKILL, None, now),
    }
    assert _root_failure(failures).local_rank == 1
    # the peer's connection error alone (it exited by itself, not by the launcher's SIGTERM)
    failures[0] = _failure(tmp_path, 0, 1, lost, now - 1)
    assert _root_failure(failures).local_rank == 1


def test_among_causes_the_earliest_then_the_lowest_rank_is_named(tmp_path):
    now = int(time.time())
    failures = {
        0: _failure(tmp_path, 0, 1, "ValueError: later", now),
        1: _failure(tmp_path, 1, 1, "ValueError: first", now - 2),
        2: _failure(tmp_path, 2, -signal.SIGTERM, None, now - 5),  # ended by the launcher
    }
    assert _root_failure(failures).local_rank == 1
    failures[1] = _failure(tmp_path, 1, 1, "ValueError: same second", now)
    assert _root_failure(failures).local_rank == 0
