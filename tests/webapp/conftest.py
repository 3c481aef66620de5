"""Fixtures for the web app's tests."""

from __future__ import annotations

import pytest

from tests.webapp.worker import WorkerProcess


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A running worker process; tasks must be sent to ``worker.queue``."""
    worker = WorkerProcess(tmp_path / "worker.log")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
