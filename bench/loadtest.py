"""Pieces of the web benchmark: a prepared visitor, a gunicorn server, and two load generators.

The benchmark measures what a logged-in visitor with a long rating history waits for the home page
when many people use the site at once, on the production stack (gunicorn, PostgreSQL, WhiteNoise,
DEBUG off). Load comes from ``wrk`` (closed loop: every client fires its next request as soon as
the previous answer arrives, i.e. the server is kept saturated) and from a paced client (every
client waits between requests like a person does), because the two answer different questions:
how many requests per second fit on the machine, and how long one request takes under a given
arrival rate.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.stats import refresh_movie_stats
from webapp.local_server import LocalGunicorn, local_gunicorn


@dataclass
class LoadResult:
    tool: str
    clients: int
    duration_s: float
    requests: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    throughput_rps: float
    notes: list[str] = field(default_factory=list)
    # CPU milliseconds per request, measured over the run: web workers, database, load generator.
    cpu_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Visitor:
    """The benchmark's account: its id and the password made for this run only."""

    user_id: int
    username: str
    password: str


def prepare_visitor(username: str, n_ratings: int, favourite_genres: int = 3) -> Visitor:
    """A person with ``n_ratings`` ratings of popular movies and a few favourite genres.

    The password is new on every run, so the account cannot be logged into from outside later.
    """
    User = get_user_model()
    password = secrets.token_urlsafe(24)
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        profile, _ = Profile.objects.get_or_create(user=user)
        profile.onboarded = True
        profile.age, profile.occupation = 30, "engineer"
        profile.save()
        profile.favourite_genres.set(Genre.objects.order_by("name")[:favourite_genres])
        Rating.objects.filter(user=user).delete()
        movies = list(Movie.objects.popular().values_list("pk", flat=True)[:n_ratings])
        if len(movies) < n_ratings:
            raise RuntimeError(f"Only {len(movies)} movies in the catalogue; need {n_ratings}.")
        Rating.objects.bulk_create(
            Rating(user=user, movie_id=pk, score=1 + (i * 7) % 5) for i, pk in enumerate(movies)
        )
        refresh_movie_stats(movies)
    return Visitor(user_id=user.pk, username=username, password=password)


def gunicorn_server(env: dict[str, str], workers: int, log_path: Path):
    """gunicorn serving the site with ``workers`` sync workers; the benchmark's fixed setup."""
    args = ("--workers", str(workers), "--worker-class", "sync", "--backlog", "2048",
            "--log-level", "warning")  # fmt: skip
    return local_gunicorn(env, log_path, args=args, ready_path="/static/css/spikelens.css")


def log_in(base_url: str, visitor: Visitor) -> str:
    """Log in through the real login form; returns the Cookie header for later requests."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/accounts/login/")
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = _cookie(response, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": visitor.username, "password": visitor.password, "csrfmiddlewaretoken": token}
    )
    connection.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"{base_url}/accounts/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    session = _cookie(response, "sessionid")
    if response.status != 302 or not session:
        raise RuntimeError(f"Logging in as {visitor.username} failed (HTTP {response.status}).")
    return f"sessionid={session}; csrftoken={csrf_cookie}"


def _cookie(response: http.client.HTTPResponse, name: str) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return ""


def fetch(base_url: str, path: str, cookie: str) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    return response.status, response.read().decode()


# ------------------------------------------------------------------------- CPU accounting
@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by the web workers, the database server and load generators."""

    web: float
    database: float
    generator: float


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            found.append((int(entry.name), int(tail.split()[1]), head.split("(", 1)[1]))
    return found


def sample_cpu(server: LocalGunicorn) -> CpuSample:
    """Everything the server side used (gunicorn master and workers, all PostgreSQL processes),
    and the load generators: this process (the paced client) and its finished children (wrk)."""
    processes = _processes()
    web = [pid for pid, parent, _ in processes if pid == server.pid or parent == server.pid]
    database = [pid for pid, _, name in processes if name.startswith("postgres")]
    generator = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_CHILDREN),
            resource.getrusage(resource.RUSAGE_SELF),
        )
    )
    return CpuSample(
        web=sum(_cpu_seconds(pid) for pid in web),
        database=sum(_cpu_seconds(pid) for pid in database),
        generator=generator,
    )


# ------------------------------------------------------------------------------ load: wrk
def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    server: LocalGunicorn,
    path: str,
    cookie: str,
    connections: int,
    duration_s: int,
    threads: int = 2,
) -> LoadResult:
    """Closed-loop load: ``connections`` clients, each sending its next request at once."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency",
        "--timeout", "10s", "-H", f"Cookie: {cookie}", f"{server.url}{path}",
    ]  # fmt: skip
    before = sample_cpu(server)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = sample_cpu(server)
    percentiles = {
        int(p): _to_ms(value, unit)
        for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return LoadResult(
        tool=f"wrk -t{threads} -c{connections} -d{duration_s}s (closed loop)",
        clients=connections,
        duration_s=duration_s,
        requests=requests,
        errors=errors,
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        throughput_rps=rps,
        notes=[output.strip()],
        cpu_ms=_cpu_per_request(before, after, requests),
    )


def _cpu_per_request(before: CpuSample, after: CpuSample, requests: int) -> dict[str, float]:
    if not requests:
        return {}
    return {
        "web": 1000 * (after.web - before.web) / requests,
        "database": 1000 * (after.database - before.database) / requests,
        "generator": 1000 * (after.generator - before.generator) / requests,
    }


def _to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --------------------------------------------------------------------------- load: paced
def run_paced(
    server: LocalGunicorn,
    path: str,
    cookie: str,
    clients: int,
    per_client_rps: float,
    duration_s: float,
) -> LoadResult:
    """``clients`` people, each asking for the page every 1/``per_client_rps`` seconds.

    Request start times are fixed in advance (staggered across clients), and latency is measured
    from the planned start, so a slow answer that delays the next request still counts in full
    (no coordinated omission).
    """
    parts = urllib.parse.urlsplit(server.url)
    interval = 1.0 / per_client_rps
    start = time.monotonic() + 0.5
    stop = start + duration_s
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def person(index: int) -> None:
        planned = start + interval * index / clients
        mine: list[float] = []
        failed = 0
        while planned < stop:
            delay = planned - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
            mine.append((time.monotonic() - planned) * 1000)
            planned += interval
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=person, args=(i,), daemon=True) for i in range(clients)]
    before = sample_cpu(server)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = sample_cpu(server)
    latencies.sort()
    return LoadResult(
        tool=f"paced client: {clients} clients × {per_client_rps:g} req/s each (open loop)",
        clients=clients,
        duration_s=duration_s,
        requests=len(latencies),
        errors=errors[0],
        p50_ms=_percentile(latencies, 50),
        p90_ms=_percentile(latencies, 90),
        p99_ms=_percentile(latencies, 99),
        throughput_rps=len(latencies) / duration_s,
        cpu_ms=_cpu_per_request(before, after, len(latencies)),
    )


def _percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(percent) - 1]


def machine_description() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"{os.cpu_count()} CPUs (lscpu unavailable)"
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in lscpu.splitlines())
    )
    return (
        f"{fields.get('Model name', 'unknown CPU')}, {fields.get('CPU(s)', '?')} CPU(s), "
        f"{fields.get('Thread(s) per core', '?')} thread(s) per core, {fields.get('Architecture', '')}"
    )
