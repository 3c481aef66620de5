"""``bin/run`` (what ``make run`` starts) as a user runs it, on a tiny MovieLens.

A real process tree on a temporary data folder: it must serve the site while the first model is
still training in the worker, say so on the home page, and stop cleanly (exit 0) on SIGTERM.
"""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.factories.movielens_files import write_official
from webapp.local_server import PROJECT_ROOT, free_port

pytestmark = pytest.mark.slow


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def run_states(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT state FROM recommender_trainingrun")]


def test_bin_run_serves_before_the_first_model_is_trained_and_stops_cleanly(tmp_path):
    data = tmp_path / "data"
    write_official(data / "raw" / "ml-100k", n_users=400, n_movies=300, per_user=40)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    env |= {
        "SPIKELENS_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'site.sqlite3'}",
        "DJANGO_SECRET_KEY": "bin-run-test-key",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "SPIKELENS_PORT": str(port),
        "SPIKELENS_TRAINING_PRESET": "small",
        "WEB_CONCURRENCY": "1",
        "WEB_ACCESS_LOG": str(tmp_path / "access.log"),
        "OMP_NUM_THREADS": "1",
    }
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["bin/run"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                status, home = get(port, "/")
            except OSError:
                time.sleep(0.3)
                continue
            if status == 200:
                break
        states = run_states(data / "site.sqlite3")
        assert states in (["queued"], ["running"]), states  # serving before training is done
        assert "recommender is" in home and "learning" in home, home
        assert "Popular movies" in home

        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0  # a requested stop: `make run` reports no error
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = log_path.read_text()
    assert "==> Migrating the database…" in output and "done in" in output
    assert "Queued training run #1 for the first model" in output
    assert f"SpikeLens is serving http://127.0.0.1:{port}/" in output
    assert "==> Stopping SpikeLens" in output and "stopped." in output
    assert "_download" not in output and "Traceback" not in output
    # Never left "running" by a dead worker: still queued for the next start, or ended.
    assert run_states(data / "site.sqlite3")[0] in ("queued", "failed", "succeeded")
