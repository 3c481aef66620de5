"""A real Celery worker in its own process, wired to the test database and the configured broker.

Tests that need a worker start one of these instead of running tasks eagerly, so the broker,
serialisation and the database seen from another process are all exercised for real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings

from webapp.local_server import database_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database the test run is using right now (the test copy, not the real one)."""
    return database_url()


class WorkerProcess:
    """Starts ``celery worker`` on a queue of its own; stop() or kill() ends it."""

    def __init__(
        self,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        queue: str | None = None,
        name: str | None = None,
    ) -> None:
        """``queue``: share one with another worker (default: a queue of its own); ``name``:
        the node's name before ``@`` (default: the queue's)."""
        self.queue = queue or f"test-{uuid.uuid4().hex[:10]}"
        self.name = name or self.queue
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webapp.test_settings",
            "DATABASE_URL": test_database_url(),
            "SPIKELENS_DATA_DIR": str(settings.DATA_DIR),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "webapp",
                "worker",
                "--pool=solo",
                "--concurrency=1",  # solo runs one task; this keeps it from reserving two
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-Q",
                self.queue,
                "-n",
                f"{self.name}@%h",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log()}")
            if "ready." in self.log():
                return
            time.sleep(0.2)
        raise TimeoutError(f"Celery worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to clean up, like a machine losing power."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
