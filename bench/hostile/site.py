"""Raw HTTP to the server under test: requests whose answers are kept whole, bytes written
straight to a socket, and a log-in over the wire as a browser does it."""

from __future__ import annotations

import re
import socket
import urllib.parse

from bench.http import Visitor, request


class Site:
    """Raw HTTP to the server under test."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], str]:
        """One request; the answer's header names in lower case, its body decoded."""
        status, answer_headers, text = request(
            f"http://127.0.0.1:{self.port}", method, path, body, headers, timeout
        )
        return status, {k.lower(): v for k, v in answer_headers.items()}, text

    def raw(self, data: bytes, timeout: float = 10) -> str:
        """Send raw bytes, return the status line (or the error's name)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
                sock.sendall(data)
                answer = sock.recv(4096)
            return answer.split(b"\r\n", 1)[0].decode(errors="replace")
        except OSError as exc:
            return type(exc).__name__

    def try_log_in(self, username: str, password: str) -> tuple[int, dict[str, str], str]:
        """One login attempt as a browser makes it (the form's CSRF token and cookie, then the
        POST): the answer's status and headers, and the CSRF cookie it was made with."""
        status, headers, page = self.request("GET", "/accounts/login/")
        csrf = cookie(headers, "csrftoken")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        status, headers, _ = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        return status, headers, csrf

    def log_in(self, username: str, password: str) -> Visitor:
        status, headers, csrf = self.try_log_in(username, password)
        if status != 302:
            raise RuntimeError(f"logging in as {username} failed: HTTP {status}")
        session = cookie(headers, "sessionid")
        return Visitor(cookie=f"sessionid={session}; csrftoken={csrf}", csrf=csrf)


def cookie(headers: dict[str, str], name: str) -> str:
    """The value of cookie ``name`` that an answer sets (empty when it sets none)."""
    match = re.search(rf"{name}=([^;]+)", headers.get("set-cookie", ""))
    return match.group(1) if match else ""
