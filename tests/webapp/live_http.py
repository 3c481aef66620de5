"""Real HTTP for tests: gunicorn as ``bin/run`` starts it, raw sockets, sessions made in the test.

The Django test client skips CSRF, never opens a socket and reads bodies whole, so limits on
bodies, slow clients and concurrent writers are tested here over TCP instead.
"""

from __future__ import annotations

import http.client
import os
import secrets
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.webapp.worker import test_database_url
from webapp.local_server import LocalGunicorn, local_gunicorn

CSRF_ALPHABET = string.ascii_letters + string.digits


# A static file: answers 200 as soon as a worker runs, whatever the database holds.
READY_PATH = "/static/css/spikelens.css"


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
