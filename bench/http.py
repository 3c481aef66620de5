"""Requests over real sockets as a logged-in person: a session made in code, CSRF as a browser
sends it, multipart bodies for uploads.

Used by the load benchmarks and by the tests that need real HTTP (``tests/webapp/live_http``):
the Django test client skips CSRF, never opens a socket and reads bodies whole.
"""

from __future__ import annotations

import http.client
import secrets
import string
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.test import Client

CSRF_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Visitor:
    """Cookie and CSRF header of a logged-in person, for requests made over real sockets."""

    cookie: str
    csrf: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-CSRFToken": self.csrf, **extra}


def visitor_for(user) -> Visitor:
    """A session for ``user`` stored in the database, and a CSRF secret of our own choosing.

    A server sharing the database and ``SECRET_KEY`` accepts the session."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))
    return Visitor(
        cookie=f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        csrf=csrf,
    )


def multipart(
    fields: dict[str, object],
    files: dict[str, tuple[str, bytes]],
    file_type: str = "application/octet-stream",
) -> tuple[bytes, str]:
    """A multipart/form-data body; list values become repeated fields, and every file part
    claims ``file_type`` (what a client says is never what the site trusts)."""
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
            f'filename="{filename}"\r\nContent-Type: {file_type}\r\n\r\n'.encode()
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
