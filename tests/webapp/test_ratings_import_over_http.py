"""The ratings import over real sockets to gunicorn, CSRF enforced (the test client skips it).

Hostile uploads get a 4xx with a message that says what was wrong, and nothing is stored; a real
import works with the token from the page's own form.
"""

from __future__ import annotations

import io
import re
import socket

import pytest
from PIL import Image

from tests.webapp.catalog_data import make_genres, make_member
from tests.webapp.live_http import gunicorn, multipart, request, visitor_for
from webapp.catalog.models import Movie, Rating
from webapp.ratings_import.models import PendingImport

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MB = 1024 * 1024
HEADER = b"Date,Name,Year,Letterboxd URI,Rating\n"


@pytest.fixture
def server(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with gunicorn(tmp_path, {"DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT)}) as running:
        yield running


@pytest.fixture
def films():
    make_genres()
    return Movie.objects.bulk_create(
        [Movie(title="Fargo", year=1996), Movie(title="Heat", year=1995)]
    )


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def post_file(server, visitor, data: bytes, name: str = "ratings.csv"):
    body, content_type = multipart({}, {"file": (name, data)})
    return request(
        server.url,
        "POST",
        "/import/",
        body=body,
        headers=visitor.headers(**{"Content-Type": content_type}),
    )


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HEADER + b"2023-01-01,Fargo,1996,u,4\n" * (3 * MB // 26), "the limit is 2 MB"),
        (png(), "binary data"),
        (b"PK\x03\x04" + bytes(200), "ZIP archive"),
        (HEADER + "2023-01-01,Amélie,2001,u,4\n".encode("latin-1"), "not UTF-8 text"),
        (b"id,name,score\n1,Fargo,4\n", "does not name the columns"),
        (HEADER + b"2023-01-01,\"=cmd|' /C calc'!A0\",1996,u,4\n", "spreadsheet formula"),
    ],
)
def test_a_hostile_upload_gets_a_4xx_with_a_clear_message(server, films, data, message):
    visitor = visitor_for(make_member("hostile-importer"))
    status, _, html = post_file(server, visitor, data)
    assert status == 400, server.log()
    assert message in plain(html)
    assert "Traceback" not in html
    assert PendingImport.objects.count() == 0 and Rating.objects.count() == 0


def test_an_upload_over_the_request_limit_is_refused_before_it_is_read(server, films):
    visitor = visitor_for(make_member("big-importer"))
    head = (
        "POST /import/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {visitor.cookie}\r\nX-CSRFToken: {visitor.csrf}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {6 * MB}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"--xyz\r\n" + b"a" * 65536)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert PendingImport.objects.count() == 0 and Rating.objects.count() == 0


def test_without_the_csrf_token_nothing_is_uploaded_or_imported(server, films):
    member = make_member("forged")
    visitor = visitor_for(member)
    body, content_type = multipart({}, {"file": ("r.csv", HEADER + b"2023,Fargo,1996,u,4\n")})
    status, _, html = request(
        server.url,
        "POST",
        "/import/",
        body=body,
        headers={"Cookie": visitor.cookie, "Content-Type": content_type},
    )
    assert status == 403 and "nothing was saved" in plain(html).lower()
    assert PendingImport.objects.count() == 0


def test_a_real_import_with_the_pages_own_csrf_tokens(server, films):
    member = make_member("real-importer")
    visitor = visitor_for(member)
    status, headers, _ = post_file(
        server, visitor, HEADER + b"2023-01-01,Fargo,1996,u,4.5\n2023-01-02,Heat,1995,u,3\n"
    )
    assert status == 302, server.log()
    review = headers["Location"]
    status, _, page = request(server.url, "GET", review, headers={"Cookie": visitor.cookie})
    assert status == 200 and "Letterboxd (ratings.csv)" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": visitor.cookie}

    # The confirm form without its token is refused, and nothing is imported.
    status, _, _ = request(server.url, "POST", review, body=b"import_2=on", headers=form)
    assert status == 403 and Rating.objects.count() == 0

    body = f"csrfmiddlewaretoken={token}&import_2=on&import_3=on".encode()
    status, headers, _ = request(server.url, "POST", review, body=body, headers=form)
    assert status == 302 and headers["Location"].endswith("/done/")
    assert dict(Rating.objects.filter(user=member).values_list("movie__title", "score")) == {
        "Fargo": 5,
        "Heat": 3,
    }
    # Sent again (a double click, a reload): nothing is imported twice.
    status, headers, _ = request(server.url, "POST", review, body=body, headers=form)
    assert status == 302 and Rating.objects.filter(user=member).count() == 2
    status, _, summary = request(
        server.url, "GET", headers["Location"], headers={"Cookie": visitor.cookie}
    )
    assert "2 imported, 0 skipped, 0 unmatched." in plain(summary)
