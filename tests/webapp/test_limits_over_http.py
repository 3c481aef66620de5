"""Body limits and slow clients, over real sockets against gunicorn started as ``bin/run`` does."""

from __future__ import annotations

import io
import socket
import time

import pytest

from tests.webapp.catalog_data import image_bytes, make_genres, make_member
from tests.webapp.live_http import gunicorn, multipart, request, visitor_for
from webapp.catalog.models import Movie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MB = 1024 * 1024


@pytest.fixture
def server(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with gunicorn(tmp_path, {"DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT)}) as running:
        yield running


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def send_head_then_wait(
    server, head: str, body_prefix: bytes = b"", timeout: float = 10
) -> tuple[str, float]:
    """Send a request head and part of its body, then read the answer; (status line, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + body_prefix)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode(), time.monotonic() - started


def test_upload_declaring_30_mb_is_refused_before_it_is_read(server, settings):
    member = make_member("big-sender")
    visitor = visitor_for(member)
    before = Movie.objects.count()
    head = (
        "POST /movies/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {visitor.cookie}\r\nX-CSRFToken: {visitor.csrf}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {30 * MB}\r\n\r\n"
    )
    status, seconds = send_head_then_wait(server, head, b"--xyz\r\n" + b"a" * 65536)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert seconds < 5
    assert Movie.objects.count() == before and media_files(settings) == []
    assert list(server.tmp_dir.iterdir()) == []  # nothing spooled to a temporary file


def test_anonymous_post_declaring_1_gb_is_refused_at_once(server):
    head = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {1024 * MB}\r\n\r\n"
    )
    status, seconds = send_head_then_wait(server, head, b"\0" * 65536)
    assert status.startswith("HTTP/1.1 413") and seconds < 5
    assert list(server.tmp_dir.iterdir()) == []


def test_form_body_over_1_mb_without_files_is_refused(server):
    status, _, html = request(
        server.url,
        "POST",
        "/accounts/login/",
        body=b"username=" + b"a" * (2 * MB),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413 and "Nothing was read or saved" in html


def test_bad_content_length_is_a_400(server):
    head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ²\r\n\r\n"
    status, _ = send_head_then_wait(server, head)
    assert status.startswith("HTTP/1.1 400")


def test_an_upload_within_the_limits_still_works_over_http(server, settings):
    member = make_member("real-uploader")
    genres = make_genres()
    visitor = visitor_for(member)
    body, content_type = multipart(
        {"title": "Live Wire", "year": "2021", "genres": [genres["Drama"].pk]},
        {"poster": ("live.png", image_bytes("PNG", size=(300, 450)))},
    )
    status, headers, _ = request(
        server.url,
        "POST",
        "/movies/upload/",
        body=body,
        headers=visitor.headers(**{"Content-Type": content_type}),
    )
    assert status == 302, server.log()
    movie = Movie.objects.get(title="Live Wire")
    assert headers["Location"] == movie.get_absolute_url()
    assert len(media_files(settings)) == 1


def test_clients_stalled_in_their_headers_do_not_block_other_visitors(server):
    """Half-sent request heads on many connections; a normal visitor is still served at once."""
    stalled = []
    try:
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
            stalled.append(sock)
        time.sleep(0.5)
        for _ in range(3):
            started = time.monotonic()
            status, _, _ = request(server.url, "GET", "/movies/", timeout=8)
            assert status == 200 and time.monotonic() - started < 3
    finally:
        for sock in stalled:
            sock.close()


def test_the_hostile_run_finds_no_server_error_and_loses_nothing(settings, tmp_path):
    """``python -m bench.hostile`` end to end, against the test database and its own gunicorn."""
    from django.core.management import call_command

    from bench.hostile.run import Command

    settings.MEDIA_ROOT = tmp_path / "hostile-media"
    out = io.StringIO()
    call_command(Command(), stdout=out)
    text = out.getvalue()
    assert "No 5xx, nothing lost." in text and "5xx: 0; lost or changed: 0" in text
