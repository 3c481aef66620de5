"""Real HTTP for tests: gunicorn as ``bin/run`` starts it, raw sockets, sessions made in the test.

The Django test client skips CSRF, never opens a socket and reads bodies whole, so limits on
bodies, slow clients and concurrent writers are tested here over TCP instead. The requests and
sessions are the load benchmarks' own (``bench/http.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from bench.http import Visitor, multipart, request, visitor_for
from tests.webapp.worker import test_database_url
from webapp.local_server import LocalGunicorn, local_gunicorn

__all__ = ["READY_PATH", "Visitor", "gunicorn", "multipart", "request", "server_env", "visitor_for"]

# A static file: answers 200 as soon as a worker runs, whatever the database holds.
READY_PATH = "/static/css/spikelens.css"


def server_env(log_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a gunicorn serving the test database and data folder."""
    tmp_dir = log_dir / "server-tmp"
    tmp_dir.mkdir(exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.test_settings",
        "DATABASE_URL": test_database_url(),
        "SPIKELENS_DATA_DIR": str(settings.DATA_DIR),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SPIKELENS_LOG_LEVEL": "WARNING",
        "WEB_ACCESS_LOG": str(log_dir / "access.log"),
        # Anything the server spools to disk lands here, where the tests can look.
        "TMPDIR": str(tmp_dir),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }


@contextmanager
def gunicorn(log_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[LocalGunicorn]:
    """gunicorn with the site's own config (webapp/gunicorn_conf.py), as ``bin/run`` starts it."""
    with local_gunicorn(
        server_env(log_dir, extra_env), log_dir / "gunicorn.log", ready_path=READY_PATH
    ) as server:
        yield server
