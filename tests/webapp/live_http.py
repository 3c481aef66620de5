"""Real HTTP for tests: gunicorn as ``bin/run`` starts it, raw sockets, sessions made in the test.

The Django test client skips CSRF, never opens a socket and reads bodies whole, so limits on
bodies, slow clients and concurrent writers are tested here over TCP instead.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import string
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.webapp.worker import PROJECT_ROOT, test_database_url

CSRF_ALPHABET = string.ascii_letters + string.digits


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Visitor:
    """Cookie and CSRF header of a logged-in person, for requests made over real sockets."""

    cookie: str
    csrf: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-CSRFToken": self.csrf, **extra}


def visitor_for(user) -> Visitor:
    """A session for ``user`` stored in the database, and a CSRF secret of our own choosing."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))
    return Visitor(
        cookie=f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        csrf=csrf,
    )


def multipart(fields: dict[str, object], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body; list values become repeated fields."""
    boundary = f"----spikelens{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for name, (filename, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], str]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return (
            response.status,
            dict(response.getheaders()),
            response.read().decode(errors="replace"),
        )
    finally:
        connection.close()


class GunicornServer:
    """gunicorn with the site's own config (webapp/gunicorn_conf.py) on a free local port."""

    def __init__(self, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.tmp_dir = log_path.parent / "server-tmp"
        self.tmp_dir.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webapp.test_settings",
            "DATABASE_URL": test_database_url(),
            "SPIKELENS_DATA_DIR": str(settings.DATA_DIR),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SPIKELENS_PORT": str(self.port),
            "SPIKELENS_LOG_LEVEL": "WARNING",
            "WEB_ACCESS_LOG": str(log_path.parent / "access.log"),
            # Anything the server spools to disk lands here, where the tests can look.
            "TMPDIR": str(self.tmp_dir),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "webapp/gunicorn_conf.py", "webapp.wsgi"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                status, _, _ = request(self.url, "GET", "/static/css/spikelens.css", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@contextmanager
def gunicorn(log_dir: Path, extra_env: dict[str, str] | None = None):
    server = GunicornServer(log_dir / "gunicorn.log", extra_env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
