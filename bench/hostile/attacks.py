"""Every attack of the hostile run: each small (a few dozen requests at most), each answer
recorded; a 5xx other than the documented 503 is a failure."""

from __future__ import annotations

import io
import random
import re
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from PIL import Image

from bench.hostile.site import Site
from bench.http import Visitor
from bench.http import multipart as _multipart
from webapp.catalog.models import Movie, NotInterested, Rating, WatchlistEntry

MB = 1024 * 1024


@dataclass
class Report:
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def saw(self, attack: str, status: int | str) -> None:
        self.statuses[status] += 1
        if isinstance(status, int) and status >= 500:
            self.server_errors.append(f"{attack}: {status}")

    def note(self, line: str) -> None:
        self.lines.append(line)


def multipart(fields: dict[str, object], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart body whose files claim to be JPEG images, whatever their bytes are."""
    return _multipart(fields, files, file_type="image/jpeg")


# ----------------------------------------------------------------------------- hostile images
def rational_make_jpeg() -> bytes:
    """EXIF Orientation 6 with a RATIONAL where the Make text belongs (the issue's 500)."""
    entries = struct.pack("<HHII", 0x010F, 5, 1, 38) + struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0)
    exif = (
        b"Exif\x00\x00II*\x00"
        + struct.pack("<I", 8)
        + struct.pack("<H", 2)
        + entries
        + struct.pack("<I", 0)
        + struct.pack("<II", 1, 3)
    )
    buffer = io.BytesIO()
    Image.new("RGB", (40, 60), (200, 10, 10)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def mutated_images(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    seeds = []
    for kind in ("JPEG", "PNG", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (rng.randint(8, 64), rng.randint(8, 64)), (9, 9, 9)).save(buffer, kind)
        seeds.append(buffer.getvalue())
    seeds.append(rational_make_jpeg())
    images = [rational_make_jpeg()]
    while len(images) < count:
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(min(len(data), 200))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        images.append(bytes(data))
    return images


# ----------------------------------------------------------------------------- the run
def run_attacks(site: Site, member: Visitor, staff: Visitor, report: Report, seed: int) -> None:
    """Every attack, one after the other; each answer is recorded."""
    attacks: list[tuple[str, Callable[[], None]]] = [
        ("run ids", lambda: _run_ids(site, staff, report)),
        ("too many fields", lambda: _too_many_fields(site, member, report)),
        ("posters", lambda: _posters(site, member, report, seed)),
        ("oversize bodies", lambda: _oversize(site, member, report)),
        ("slow clients", lambda: _slow_clients(site, report)),
        ("bad ratings", lambda: _bad_ratings(site, member, report)),
        ("race: ratings", lambda: _rating_race(site, report)),
        ("race: uploads", lambda: _upload_race(site, report, seed)),
        ("bad text", lambda: _bad_text(site, member, report)),
        ("forgery and redirects", lambda: _forgery(site, member, report)),
        ("pick pages", lambda: _pick_pages(site, member, report)),
        ("login guessing", lambda: _login_guessing(site, report)),
        ("headers and paths", lambda: _headers_and_paths(site, report)),
        ("ratings import", lambda: _ratings_import(site, member, report)),
    ]
    for name, attack in attacks:
        started = time.monotonic()
        before = sum(report.statuses.values())
        attack()
        report.note(
            f"{name}: {sum(report.statuses.values()) - before} requests, "
            f"{time.monotonic() - started:.1f} s"
        )


def _run_ids(site: Site, staff: Visitor, report: Report) -> None:
    for bad in ("%C2%B2", "%D9%A1", "1.5", "-1", "9" * 40, "1%00"):
        status, _, _ = site.request(
            "GET", f"/admin/recommender/trainingrun/progress/?id={bad}", headers=staff.headers()
        )
        report.saw("run ids", status)


def _too_many_fields(site: Site, member: Visitor, report: Report) -> None:
    query = "&".join(["f"] * 1100)
    for path in ("/", "/movies/", "/movies/upload/", "/import/", "/accounts/login/", "/nowhere/"):
        report.saw("too many fields", site.request("GET", f"{path}?{query}")[0])
    # The member's own pages read the query string only once logged in.
    for path in PICK_PAGES:
        report.saw(
            "too many fields", site.request("GET", f"{path}?{query}", headers=member.headers())[0]
        )


def _posters(site: Site, member: Visitor, report: Report, seed: int) -> None:
    for index, data in enumerate(mutated_images(60, seed)):
        body, content_type = multipart(
            {"title": f"Hostile poster {seed}-{index}", "year": "2020"},
            {"poster": ("p.jpg", data)},
        )
        status, _, _ = site.request(
            "POST",
            "/movies/upload/",
            body=body,
            headers=member.headers(**{"Content-Type": content_type}),
        )
        report.saw("posters", status)


def _oversize(site: Site, member: Visitor, report: Report) -> None:
    heads = [
        f"POST /movies/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {member.cookie}\r\n"
        f"X-CSRFToken: {member.csrf}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {30 * MB}\r\n\r\n",
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {1024 * MB}\r\n\r\n",
        f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {2 * MB}\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1e9\r\n\r\n",
    ]
    for head in heads:
        line = site.raw(head.encode() + b"a" * 65536)
        report.saw("oversize bodies", _status_of(line))


def _slow_clients(site: Site, report: Report) -> None:
    stalled = []
    try:
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", site.port), timeout=30)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            stalled.append(sock)
        for _ in range(5):
            started = time.monotonic()
            status = site.request("GET", "/movies/", timeout=10)[0]
            report.saw("slow clients", status)
            if time.monotonic() - started > 3:
                report.server_errors.append("slow clients: a normal request waited over 3 s")
    finally:
        for sock in stalled:
            sock.close()


def _bad_ratings(site: Site, member: Visitor, report: Report) -> None:
    movie = Movie.objects.order_by("pk").first()
    for score in ("0", "6", "4.5", "five", "", "9" * 50, "-1", "²"):
        status, _, _ = site.request(
            "POST",
            f"/movies/{movie.pk}/rate/",
            body=urllib.parse.urlencode({"score": score}).encode(),
            headers=member.headers(**{"Content-Type": "application/x-www-form-urlencoded"}),
        )
        report.saw("bad ratings", status)
    report.saw("bad ratings", site.request("POST", "/movies/999999999/rate/", body=b"score=3",
               headers=member.headers(**{"Content-Type": "application/x-www-form-urlencoded"}))[0])  # fmt: skip


def _together(calls: list[Callable[[], int]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    results = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except OSError:
            results[i] = 599

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _rating_race(site: Site, report: Report) -> None:
    raters = [_member(site, f"hostile-rater-{i}") for i in range(6)]
    movie = Movie.objects.order_by("-pk").first()
    before = Rating.objects.filter(movie=movie).count()

    def rate(visitor: Visitor, score: int) -> int:
        return site.request(
            "POST",
            f"/movies/{movie.pk}/rate/",
            body=f"score={score}".encode(),
            headers=visitor.headers(
                **{
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                }
            ),
        )[0]

    for status in _together([lambda v=v, i=i: rate(v, 1 + i % 5) for i, v in enumerate(raters)]):
        report.saw("race: ratings", status)
    movie.refresh_from_db()
    stored = Rating.objects.filter(movie=movie).count()
    if movie.rating_count != stored or stored < before:
        report.server_errors.append(
            f"race: ratings: totals say {movie.rating_count}, table holds {stored}"
        )


def _upload_race(site: Site, report: Report, seed: int) -> None:
    uploaders = [_member(site, f"hostile-twin-{i}") for i in range(4)]
    buffer = io.BytesIO()
    Image.new("RGB", (120, 180), (1, 100, 200)).save(buffer, "PNG")
    title = f"Hostile Twins {seed}"
    body, content_type = multipart(
        {"title": title, "year": "2019"}, {"poster": ("t.png", buffer.getvalue())}
    )

    def upload(visitor: Visitor) -> int:
        return site.request(
            "POST",
            "/movies/upload/",
            body=body,
            headers=visitor.headers(**{"Content-Type": content_type}),
        )[0]

    for status in _together([lambda v=v: upload(v) for v in uploaders]):
        report.saw("race: uploads", status)
    if Movie.objects.filter(title__iexact=title).count() != 1:
        report.server_errors.append("race: uploads: the same title and year stored twice")


def _bad_text(site: Site, member: Visitor, report: Report) -> None:
    titles = [
        "\u200b\u200b\u200b",
        "\u200d\ufeff\u2060",
        "<script>alert(1)</script>",
        "__spikelens_csrf_token__",
        "x" * 5000,
        "\x00\x01",
        "'; DROP TABLE catalog_movie; --",
        "\ud800",
    ]
    for title in titles:
        fields = urllib.parse.urlencode({"title": title, "year": "2001"}, errors="surrogatepass")
        status, _, _ = site.request(
            "POST",
            "/movies/upload/",
            body=fields.encode(),
            headers=member.headers(**{"Content-Type": "application/x-www-form-urlencoded"}),
        )
        report.saw("bad text", status)


def _forgery(site: Site, member: Visitor, report: Report) -> None:
    movie = Movie.objects.order_by("pk").first()
    no_token = {"Cookie": member.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    report.saw(
        "forgery", site.request("POST", f"/movies/{movie.pk}/rate/", b"score=5", no_token)[0]
    )
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        status, headers, _ = site.request(
            "POST",
            f"/movies/{movie.pk}/rating/remove/",
            body=urllib.parse.urlencode({"next": target}).encode(),
            headers=member.headers(**{"Content-Type": "application/x-www-form-urlencoded"}),
        )
        report.saw("forgery", status)
        if "evil.example" in headers.get("location", ""):
            report.server_errors.append(f"open redirect to {target}")


# The pages around the picks (more picks, my ratings, the watchlist), and hostile values for the
# query parameters each reads.
PICK_PAGES = ("/picks/", "/my/ratings/", "/my/watchlist/")
HOSTILE_QUERIES = {
    "/picks/": [
        "page=abc", "page=0", "page=-1", "page=11", "page=1.5", "page=%C2%B2", "page=%D9%A1",
        f"page={'9' * 50}", f"page={'9' * 5000}", "page=%00", "genre=%27%3B+DROP+TABLE+x%3B--",
        "genre=%3Cscript%3E", "genre=%00", "genre=Westernish", f"genre={'x' * 3000}",
        "genre=Drama&page=99", "genre=&page=",
    ],
    "/my/ratings/": [
        "sort=%27%3Bdrop", "sort=-rated_at", f"sort={'s' * 5000}", "sort=%00", "page=abc",
        f"page={'9' * 50}", "page=%C2%B2", "sort=title&page=-1",
    ],
    "/my/watchlist/": ["page=abc", "page=0", f"page={'9' * 5000}", "page=%00"],
}  # fmt: skip


def _pick_pages(site: Site, member: Visitor, report: Report) -> None:
    """Hostile values on the pages around the picks, and on their POST endpoints: unknown and
    huge movie ids, missing CSRF tokens, open-redirect targets. The member's real writes are
    checked to land, and undone only for what this run added."""
    for path, queries in HOSTILE_QUERIES.items():
        for query in queries:
            report.saw(
                "pick pages", site.request("GET", f"{path}?{query}", headers=member.headers())[0]
            )
        report.saw("pick pages", site.request("GET", f"{path}?page=2")[0])  # anonymous: log in
    form = member.headers(**{"Content-Type": "application/x-www-form-urlencoded"})
    no_token = {"Cookie": member.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    for movie_id in ("999999999", "9" * 30):
        for action in (
            "watchlist/",
            "watchlist/remove/",
            "not-interested/",
            "not-interested/undo/",
        ):
            report.saw(
                "pick pages", site.request("POST", f"/movies/{movie_id}/{action}", b"", form)[0]
            )
    member_id = User.objects.get(username="hostile-member").pk
    movie = (
        Movie.objects.exclude(watchlisted_by__user_id=member_id)
        .exclude(dismissed_by__user_id=member_id)
        .order_by("pk")
        .first()
    )
    for action in ("watchlist/", "not-interested/"):
        status = site.request("POST", f"/movies/{movie.pk}/{action}", b"", no_token)[0]
        report.saw("pick pages", status)
        if status != 403:
            report.server_errors.append(f"pick pages: {action} without a CSRF token: {status}")
    report.saw(
        "pick pages", site.request("POST", "/movies/not-interested/clear/", b"", no_token)[0]
    )
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        body = urllib.parse.urlencode({"next": target}).encode()
        for action in ("watchlist/", "not-interested/"):
            status, headers, _ = site.request("POST", f"/movies/{movie.pk}/{action}", body, form)
            report.saw("pick pages", status)
            if "evil.example" in headers.get("location", ""):
                report.server_errors.append(f"pick pages: open redirect to {target}")
    if not (
        WatchlistEntry.objects.filter(user_id=member_id, movie=movie).exists()
        and NotInterested.objects.filter(user_id=member_id, movie=movie).exists()
    ):
        report.server_errors.append("pick pages: a watchlist or not-interested write was lost")
    for action in ("watchlist/remove/", "not-interested/undo/"):
        report.saw("pick pages", site.request("POST", f"/movies/{movie.pk}/{action}", b"", form)[0])


def _login_guessing(site: Site, report: Report) -> None:
    password = secrets.token_urlsafe(16)
    User.objects.filter(username="hostile-victim").delete()
    User.objects.create_user("hostile-victim", password=password)
    statuses = []
    for i in range(10):
        status, _, _ = site.try_log_in("hostile-victim", f"guess{i}")
        statuses.append(status)
        report.saw("login guessing", status)
    try:
        site.log_in("hostile-victim", password)
        report.server_errors.append("login guessing: the right password got in after 10 guesses")
    except RuntimeError:
        report.saw("login guessing", 429)


def _headers_and_paths(site: Site, report: Report) -> None:
    report.saw("headers", _status_of(site.raw(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")))
    report.saw("headers", _status_of(site.raw(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")))
    report.saw(
        "headers", _status_of(site.raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X: y\r\n" * 200 + b"\r\n"))
    )  # fmt: skip
    for path in ("/media/../webapp/settings.py", "/media/%2e%2e/%2e%2e/etc/passwd",
                 "/static/../manage.py", "/movies/%00/", "/movies/99999999999999999999/"):  # fmt: skip
        report.saw("paths", site.request("GET", path)[0])


def hostile_exports() -> list[tuple[str, bytes]]:
    """Files the ratings import must refuse with a 4xx: each (what it is, its bytes)."""
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (5, 5, 5)).save(buffer, "PNG")
    header = b"Date,Name,Year,Letterboxd URI,Rating\n"
    return [
        ("empty", b""),
        ("a PNG named .csv", buffer.getvalue()),
        ("3 MB of rows", header + b"2023-01-01,Alien,1979,u,4\n" * (3 * MB // 26)),
        ("Latin-1", header + "2023-01-01,Amélie,2001,u,4\n".encode("latin-1")),
        ("UTF-16", (header.decode() + "2023-01-01,Alien,1979,u,4\n").encode("utf-16")),
        ("a ZIP", b"PK\x03\x04" + bytes(range(256))),
        ("NUL bytes", header + b"2023-01-01,Al\x00ien,1979,u,4\n"),
        ("an unknown header", b"id,name,score\n1,Alien,4\n"),
        ("no rating column", b"Date,Name,Year,Letterboxd URI\n2023-01-01,Alien,1979,u\n"),
        ("only bad rows", header + b'2023-01-01,"=HYPERLINK(""http://x"")",1979,u,4\n,,,,9\n'),
        ("too many rows", header + b"2023-01-01,Alien,1979,u,4\n" * 5000),
        ("random bytes", random.Random(15).randbytes(4096)),
    ]


def _ratings_import(site: Site, member: Visitor, report: Report) -> None:
    """Hostile exports, then a real one with hostile titles, tampered and repeated confirms."""
    for name, data in hostile_exports():
        body, content_type = multipart({}, {"file": ("ratings.csv", data)})
        status, _, _ = site.request(
            "POST", "/import/", body=body, headers=member.headers(**{"Content-Type": content_type})
        )
        report.saw("ratings import", status)
        if not (isinstance(status, int) and 400 <= status < 500):
            report.server_errors.append(f"ratings import: {name} got {status}, not a refusal")
    head = (
        f"POST /import/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {member.cookie}\r\n"
        f"X-CSRFToken: {member.csrf}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {30 * MB}\r\n\r\n"
    )
    report.saw("ratings import", _status_of(site.raw(head.encode() + b"a" * 65536)))
    no_token = {"Cookie": member.cookie, "Content-Type": "multipart/form-data; boundary=x"}
    report.saw("ratings import", site.request("POST", "/import/", b"--x--\r\n", no_token)[0])

    # A real export of three catalogued movies, with hostile titles beside them.
    known = list(Movie.objects.exclude(year=None).order_by("pk").values_list("title", "year")[:3])
    lines = ["title,year,rating"] + [f"{_quoted(title)},{year},4" for title, year in known]
    # The first title again, ten years off: found, but from another year, so a choice is asked.
    title, year = known[0]
    lines.append(f"{_quoted(title)},{year + 10 if year < 2000 else year - 10},5")
    lines += ['"<script>alert(1)</script>",1999,4', '"<img src=x onerror=alert(1)>",2000,3']
    body, content_type = multipart({}, {"file": ("ratings.csv", "\n".join(lines).encode())})
    status, headers, _ = site.request(
        "POST", "/import/", body=body, headers=member.headers(**{"Content-Type": content_type})
    )
    report.saw("ratings import", status)
    review = headers.get("location", "")
    if status != 302 or not review.startswith("/import/"):
        report.server_errors.append(f"ratings import: a valid export got {status}")
        return
    status, _, page = site.request("GET", review, headers=member.headers())
    report.saw("ratings import", status)
    if "<script>alert" in page or "<img src=x" in page:
        report.server_errors.append("ratings import: a title was shown unescaped")
    snoop = _member(site, "hostile-snoop")
    for method in ("GET", "POST"):
        status = site.request(method, review, b"", snoop.headers())[0]
        report.saw("ratings import", status)
        if status != 404:
            report.server_errors.append(f"ratings import: another person's import got {status}")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    tampered = ["&".join(["f"] * 1100)]
    choice = re.search(r'name="(choice_\d+)"', page)
    if choice:
        tampered += [f"{choice.group(1)}=999999999", f"{choice.group(1)}=1%20OR%201%3D1"]
    for body in tampered:
        status = site.request("POST", review, body.encode(), member.headers(**form))[0]
        report.saw("ratings import", status)
        if status != 400:
            report.server_errors.append(f"ratings import: a tampered confirm got {status}")
    before = Rating.objects.count()
    for _ in range(2):  # a double submission imports once
        status = site.request("POST", review, b"import_2=on", member.headers(**form))[0]
        report.saw("ratings import", status)
    if Rating.objects.count() - before > 1:
        report.server_errors.append("ratings import: a double submission imported twice")


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _status_of(line: str) -> int | str:
    parts = line.split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else line or "closed"


def _member(site: Site, username: str) -> Visitor:
    password = secrets.token_urlsafe(16)
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    return site.log_in(username, password)
