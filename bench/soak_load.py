"""The command behind ``python -m bench.soak``: an hour of a busy site, retrained and swapped.

Starts the production stack as ``make run`` does (``bin/run``: gunicorn with the site's
configuration and two workers, a Celery worker and beat) on PostgreSQL + Redis, on 127.0.0.1.
``--visitors`` paced people browse, search, open movies, rate with a review and upload movies
with a poster, each waiting a few seconds between actions like a person. Meanwhile a retraining
runs through the real path every ``--retrain-every`` minutes (a queued run that the stack's
worker trains and promotes), and between retrainings the two newest versions are promoted in
turn every ``--promote-every`` minutes. A swap counts as completed when every web worker maps
the promoted version's files and none of the previous one's (/proc/<pid>/maps).

At the end it prints requests, errors by status, p50/p99 per page per window, each web
worker's private and shared memory over time (/proc/<pid>/smaps_rollup), runs and swaps
completed, and checks that every rating and upload the site acknowledged is in the database.

Every request goes to 127.0.0.1; every loop ends at the deadline (or a bounded wait after it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.http import Visitor, multipart, request
from bench.loadtest import machine_description
from bench.procmem import memory
from bench.site_prep import ensure_catalogue, is_mapped, make_visitors, poker, two_versions
from bench.stack import ProductionStack, production_services
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.views import BROWSE_PAGE_SIZE
from webapp.recommender import registry
from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.runs import dispatch
from webapp.recommender.runs.lifecycle import TrainingAlreadyRunning, TrainingOptions

#: What a visitor does next, and how often (weights).
ACTIONS = {
    "home": 30,
    "browse": 14,
    "search": 14,
    "movie": 20,
    "picks": 6,
    "rate": 12,
    "upload": 4,
}
SEARCH_WORDS = ("star", "love", "night", "man", "the", "story", "war", "day", "house", "life")
TARGET_GROWTH = 0.10
TARGET_P99_RATIO = 2.0


@dataclass
class Hit:
    at: float  # seconds since the start of the soak
    page: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    ms: float
    path: str = ""  # kept for answers other than 2xx/3xx, so every error can be traced


@dataclass
class SoakResult:
    seconds: float
    hits: list[Hit]
    memory: list[dict]  # {"at", "pid", "role", "private", "private_dirty", "shared"}
    runs: list[dict]  # {"run", "state", "promoted", "seconds", "version"}
    swaps: list[dict]  # {"at", "version", "why", "seconds" or None}
    ratings_written: int = 0
    ratings_lost: list[str] = field(default_factory=list)
    uploads_written: int = 0
    uploads_lost: list[str] = field(default_factory=list)
    load_average: tuple[float, float] = (0.0, 0.0)
    stack_status: int | None = None
    workers_restarted: list[int] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(1 for h in self.hits if h.status >= 500)

    @property
    def lost_writes(self) -> int:
        return len(self.ratings_lost) + len(self.uploads_lost)

    @property
    def swaps_completed(self) -> int:
        return sum(1 for s in self.swaps if s["seconds"] is not None)

    @property
    def runs_completed(self) -> int:
        return sum(1 for r in self.runs if r["state"] == "succeeded" and r["promoted"])


def _poster(rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (120, 180), tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class _Visitors:
    """The paced people: threads that act until told to stop, recording every request and
    every write the site acknowledged."""

    def __init__(self, url: str, people: list, think: float, started: float, tag: str) -> None:
        self.url = url
        self.people = people
        self.think = think
        self.started = started
        self.tag = tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        #: (user id, movie id) → (score, review) of the last acknowledged rating
        self.ratings: dict[tuple[int, int], tuple[int, str]] = {}
        self.uploads: list[tuple[str, int]] = []
        self.movies = list(Movie.objects.popular().values_list("pk", flat=True)[:400])
        self.genres = list(Genre.objects.values_list("pk", "name"))
        self.pages = max(1, min(5, Movie.objects.count() // BROWSE_PAGE_SIZE))
        self.threads = [
            threading.Thread(target=self._person, args=(i,), daemon=True)
            for i in range(len(people))
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _call(self, page, method, path, visitor, body=None, content_type=None):
        headers = visitor.headers()
        if content_type:
            headers["Content-Type"] = content_type
        begun = time.monotonic()
        try:
            status, _, _ = request(self.url, method, path, body=body, headers=headers, timeout=60)
        except OSError:
            status = 0
        traced = path if status == 0 or status >= 400 else ""
        hit = Hit(begun - self.started, page, status, 1000 * (time.monotonic() - begun), traced)
        with self.lock:
            self.hits.append(hit)
        return status

    def _person(self, index: int) -> None:
        user, visitor = self.people[index]
        rng = random.Random(index)
        names, weights = zip(*ACTIONS.items(), strict=True)
        count = 0
        while not self.stop.wait(min(rng.expovariate(1 / self.think), 4 * self.think)):
            count += 1
            action = rng.choices(names, weights)[0]
            getattr(self, f"_{action}")(user, visitor, rng, f"{index}-{count}")

    # ------------------------------------------------------------------ the actions
    def _home(self, user, visitor: Visitor, rng, _) -> None:
        self._call("home", "GET", "/", visitor)

    def _picks(self, user, visitor: Visitor, rng, _) -> None:
        self._call("picks", "GET", "/picks/", visitor)

    def _browse(self, user, visitor: Visitor, rng, _) -> None:
        """A genre's first page, or a page of the whole catalogue (pages that exist: a page
        past the end is a 404 by design, not an error of the site)."""
        sort = rng.choice(["popular", "rating", "newest", "added"])
        if rng.random() < 0.5:
            genre = rng.choice(self.genres)[1].replace(" ", "+")
            path = f"/movies/?genre={genre}&sort={sort}"
        else:
            path = f"/movies/?sort={sort}&page={rng.randint(1, self.pages)}"
        self._call("browse", "GET", path, visitor)

    def _search(self, user, visitor: Visitor, rng, _) -> None:
        self._call("search", "GET", f"/movies/?q={rng.choice(SEARCH_WORDS)}", visitor)

    def _movie(self, user, visitor: Visitor, rng, _) -> None:
        self._call("movie", "GET", f"/movies/{rng.choice(self.movies)}/", visitor)

    def _rate(self, user, visitor: Visitor, rng, key: str) -> None:
        movie = rng.choice(self.movies)
        score = rng.randint(1, 5)
        review = f"Soak {self.tag} review {key}: {score} stars, seen again."
        body = f"score={score}&review={review.replace(' ', '+').replace(':', '%3A')}".encode()
        status = self._call(
            "rate", "POST", f"/movies/{movie}/rate/", visitor, body,
            "application/x-www-form-urlencoded",
        )  # fmt: skip
        if status == 302:
            with self.lock:
                self.ratings[(user.pk, movie)] = (score, review)

    def _upload(self, user, visitor: Visitor, rng, key: str) -> None:
        title = f"Soak {self.tag} upload {key}"
        genres = [pk for pk, _ in rng.sample(self.genres, k=min(2, len(self.genres)))]
        body, content_type = multipart(
            {"title": title, "year": "2021", "genres": genres, "description": "A soak upload."},
            {"poster": ("poster.png", _poster(rng))},
        )
        status = self._call("upload", "POST", "/movies/upload/", visitor, body, content_type)
        if status == 302:
            with self.lock:
                self.uploads.append((title, 2021))


class Command(BaseCommand):
    help = "An hour of visitors, retrainings and promotions on the production stack."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--minutes", type=float, default=60, help="length (60)")
        parser.add_argument("--seconds", type=float, default=None, help="length, instead")
        parser.add_argument("--visitors", type=int, default=10, help="paced visitors (10)")
        parser.add_argument(
            "--think", type=float, default=3.0, help="mean seconds between actions (3)"
        )
        parser.add_argument(
            "--retrain-every", type=float, default=5.0, help="minutes between retrainings (5)"
        )
        parser.add_argument(
            "--promote-every",
            type=float,
            default=5.0,
            help="minutes between promotions of the other version, halfway between retrainings (5)",
        )
        parser.add_argument(
            "--retrain-epochs",
            type=int,
            default=2,
            help="epochs of each retraining (2: the served model's shape, trained briefly)",
        )
        parser.add_argument("--window", type=float, default=5.0, help="minutes per window (5)")
        parser.add_argument(
            "--sample-every", type=float, default=30, help="seconds between memory samples (30)"
        )
        parser.add_argument("--json", default="", help="also write the raw results here")

    def handle(self, *args, **options) -> None:
        problem = production_services()
        if problem:
            raise CommandError(f"{problem}; see the README's production setup.")
        result = run_soak(self.stdout, **_soak_options(options))
        report = render(result, options)
        self.stdout.write(report)
        if options["json"]:
            Path(options["json"]).write_text(
                json.dumps({**asdict(result), "options": options}, default=str, indent=1)
            )
        missed = [line for line in verdicts(result, options) if line.startswith("MISSED")]
        if missed:
            raise CommandError(f"{len(missed)} target(s) missed")


def _soak_options(options: dict) -> dict:
    seconds = options["seconds"] if options["seconds"] else 60 * options["minutes"]
    return {
        "seconds": seconds,
        "visitors": options["visitors"],
        "think": options["think"],
        "retrain_every": 60 * options["retrain_every"],
        "promote_every": 60 * options["promote_every"],
        "retrain_epochs": options["retrain_epochs"],
        "sample_every": options["sample_every"],
    }


def run_soak(
    stdout,
    seconds: float,
    visitors: int = 10,
    think: float = 3.0,
    retrain_every: float = 300,
    promote_every: float = 300,
    retrain_epochs: int | None = 2,
    sample_every: float = 30,
    swap_timeout: float = 300,
    run_timeout: float = 900,
) -> SoakResult:
    """The soak itself, on the database and broker this process is configured with."""
    stdout.write("1/5 the catalogue, two model versions and the visitors…")
    ensure_catalogue(stdout)
    first, second = two_versions(retrain_epochs, stdout)
    if not (registry.active_version() and is_mapped(registry.active_version())):
        registry.promote(first)
    tag = secrets.token_hex(3)
    people = make_visitors(visitors, "soak-visitor")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="spikelens-soak-") as scratch:
        stdout.write("2/5 starting the production stack (bin/run)…")
        stack = ProductionStack(Path(scratch))
        queue = settings.SPIKELENS_TRAINING_QUEUE
        settings.SPIKELENS_TRAINING_QUEUE = stack.training_queue
        try:
            stack.wait_ready()
            poke = poker(stack.url, [v for _, v in people], at_once=2)
            stack.wait_serving(Path(registry.active_version().artifact_path).name, poke)
            result, ratings, uploads = _drive(
                stdout, stack, people, tag, seconds, think, retrain_every, promote_every,
                retrain_epochs, sample_every, swap_timeout, run_timeout, poke,
            )  # fmt: skip
        finally:
            settings.SPIKELENS_TRAINING_QUEUE = queue
            status = stack.stop()
            if status != 0:
                stdout.write(f"bin/run ended with status {status}:\n{stack.log()[-4000:]}")
    result.stack_status = status
    result.load_average = (load_before, os.getloadavg()[0])
    stdout.write("5/5 checking that every acknowledged write is in the database…")
    _check_writes(result, ratings, uploads)
    return result


def _drive(
    stdout, stack, people, tag, seconds, think, retrain_every, promote_every, retrain_epochs,
    sample_every, swap_timeout, run_timeout, poke,
) -> SoakResult:  # fmt: skip
    started = time.monotonic()
    deadline = started + seconds
    workers = stack.web_workers()
    result = SoakResult(seconds=seconds, hits=[], memory=[], runs=[], swaps=[])
    crowd = _Visitors(stack.url, people, think, started, tag)
    sampler_stop = threading.Event()

    def sample() -> None:
        while True:
            now = time.monotonic() - started
            roles = [(pid, "web") for pid in stack.web_workers()]
            if (celery := stack.celery_worker()) is not None:
                roles.append((celery, "celery"))
            for pid, role in roles:
                m = memory(pid)
                if m is not None:
                    result.memory.append(
                        {"at": round(now, 1), "pid": pid, "role": role,
                         "private": round(m.private, 1), "private_dirty": round(m.private_dirty, 1),
                         "shared": round(m.shared, 1)}
                    )  # fmt: skip
            if sampler_stop.wait(sample_every):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout.write(
        f"3/5 {len(people)} visitors for {seconds / 60:.1f} min; a retraining every "
        f"{retrain_every / 60:g} min, a promotion every {promote_every / 60:g} min…"
    )
    crowd.start()
    # A retraining early in every window and a promotion halfway to the next, so each window
    # of a long run holds one of each.
    next_retrain = started + min(60.0, retrain_every / 5)
    next_promotion = next_retrain + promote_every / 2
    run: TrainingRun | None = None
    run_started = 0.0
    swap: dict | None = None
    while True:
        now = time.monotonic()
        if swap is not None:
            mapped = stack.versions_mapped()
            if mapped and all(found == {swap["folder"]} for found in mapped.values()):
                swap["seconds"] = round(now - swap["since"], 1)
                stdout.write(
                    f"   {now - started:6.0f} s: swap to {swap['version']} ({swap['why']}) "
                    f"completed in {swap['seconds']} s"
                )
                swap = None
            elif now - swap["since"] > swap_timeout:
                stdout.write(f"   swap to {swap['version']} did not complete: {mapped}")
                swap = None
            elif len(people) < 4:  # few visitors: make sure both workers get a request
                poke()
        if run is not None:
            run.refresh_from_db()
            if run.state in (TrainingRun.State.SUCCEEDED, TrainingRun.State.FAILED):
                entry = {
                    "run": run.pk,
                    "state": run.state,
                    "promoted": run.promoted,
                    "seconds": round(now - run_started, 1),
                    "version": run.model_version.name if run.model_version else None,
                    "message": run.message[:300],
                }
                result.runs.append(entry)
                stdout.write(
                    f"   {now - started:6.0f} s: retraining #{run.pk} {run.state} in "
                    f"{entry['seconds']} s{' and promoted' if run.promoted else ''}"
                )
                if run.promoted and run.model_version:
                    swap = _swap(result, run.model_version, "retrained", now, started)
                run = None
            elif now - run_started > run_timeout:
                result.runs.append(
                    {"run": run.pk, "state": "timed out", "promoted": False,
                     "seconds": round(now - run_started, 1), "version": None, "message": ""}
                )  # fmt: skip
                run = None
        if now >= deadline and run is None and swap is None:
            break
        if now >= deadline + run_timeout + swap_timeout:
            break
        if now < deadline and swap is None and run is None:
            if now >= next_retrain:
                next_retrain += retrain_every
                try:
                    run = dispatch.request_training(
                        TrainingOptions(epochs=retrain_epochs, promotion="always")
                    )
                except (TrainingAlreadyRunning, dispatch.TrainingNotQueued) as exc:
                    result.runs.append(
                        {"run": None, "state": "refused", "promoted": False, "seconds": 0,
                         "version": None, "message": str(exc)[:300]}
                    )  # fmt: skip
                    stdout.write(f"   retraining refused: {exc}")
                run_started = now
            elif now >= next_promotion:
                next_promotion += promote_every
                target = _other_version()
                if target is not None:
                    registry.promote(target)
                    swap = _swap(result, target, "promoted", now, started)
        time.sleep(0.5)
    crowd.finish()
    sampler_stop.set()
    sampler.join(timeout=30)
    result.hits = sorted(crowd.hits, key=lambda h: h.at)
    result.ratings_written = len(crowd.ratings)
    result.uploads_written = len(crowd.uploads)
    result.workers_restarted = sorted(set(workers) - set(stack.web_workers()))
    result.seconds = time.monotonic() - started
    return result, crowd.ratings, crowd.uploads


def _swap(result: SoakResult, version: ModelVersion, why: str, now: float, started: float):
    swap = {
        "at": round(now - started, 1),
        "version": version.name,
        "why": why,
        "seconds": None,
        "folder": Path(version.artifact_path).name,
        "since": now,
    }
    result.swaps.append(swap)
    return swap


def _other_version() -> ModelVersion | None:
    """Of the two newest loadable versions, the one not serving (the rollback target)."""
    newest = [
        v
        for v in ModelVersion.objects.filter(broken_at=None).order_by("-created_at", "-pk")[:6]
        if is_mapped(v)
    ][:2]
    others = [v for v in newest if not v.is_active]
    return others[0] if others else None


def _check_writes(result: SoakResult, ratings: dict, uploads: list) -> None:
    """Every rating (its last score and review) and upload the site acknowledged (302) is
    stored; anything else is a lost write."""
    stored = {
        (u, m): (s, r)
        for u, m, s, r in Rating.objects.filter(user_id__in={u for u, _ in ratings}).values_list(
            "user_id", "movie_id", "score", "review"
        )
    }
    for key, written in ratings.items():
        if stored.get(key) != written:
            result.ratings_lost.append(f"user {key[0]} movie {key[1]}: {stored.get(key)}")
    titles = set(
        Movie.objects.filter(
            title__in=[t for t, _ in uploads], source=Movie.Source.UPLOAD
        ).values_list("title", "year")
    )
    result.uploads_lost = [f"{t} ({y})" for t, y in uploads if (t, y) not in titles]


# --------------------------------------------------------------------------- the report
def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(percent) - 1]


def windows(result: SoakResult, window: float) -> dict[int, dict[str, list[float]]]:
    """Latencies (ms) by window index and page."""
    found: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for hit in result.hits:
        if hit.status and hit.status < 500:
            found[int(hit.at // window)][hit.page].append(hit.ms)
    return found


def memory_series(result: SoakResult) -> dict[int, list[dict]]:
    series: dict[int, list[dict]] = defaultdict(list)
    for sample in result.memory:
        if sample["role"] == "web":
            series[sample["pid"]].append(sample)
    return series


def verdicts(result: SoakResult, options: dict) -> list[str]:
    window = 60 * options.get("window", 5.0)
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(f"{'met   ' if ok else 'MISSED'} {text}")

    check(result.server_errors == 0, f"0 × 5xx (found {result.server_errors})")
    check(result.lost_writes == 0, f"0 lost writes (found {result.lost_writes})")
    home = {i: sorted(p.get("home", [])) for i, p in windows(result, window).items()}
    if home.get(0):
        first = _percentile(home[0], 99)
        worst = max((_percentile(v, 99) for i, v in home.items() if v), default=first)
        check(
            worst <= TARGET_P99_RATIO * first,
            f"home-page p99 within 2× of the first window's {first:.0f} ms (worst {worst:.0f})",
        )
    completed = [s for s in result.swaps if s["seconds"] is not None]
    second_swap_at = completed[1]["at"] + completed[1]["seconds"] if len(completed) > 1 else None
    for pid, samples in memory_series(result).items():
        after = [s for s in samples if second_swap_at is not None and s["at"] >= second_swap_at]
        if len(after) >= 2:
            change = (after[-1]["private"] - after[0]["private"]) / after[0]["private"]
            check(
                change <= TARGET_GROWTH,
                f"web worker {pid}: private {after[0]['private']:.0f} → "
                f"{after[-1]['private']:.0f} MB after the 2nd swap ({100 * change:+.1f} %)",
            )
    check(
        bool(result.runs) and all(r["state"] == "succeeded" and r["promoted"] for r in result.runs),
        f"every retraining succeeded and was promoted ({result.runs_completed} of "
        f"{len(result.runs)})",
    )
    check(
        bool(result.swaps) and result.swaps_completed == len(result.swaps),
        f"every swap completed ({result.swaps_completed} of {len(result.swaps)})",
    )
    check(not result.workers_restarted, f"no web worker restarted ({result.workers_restarted})")
    return lines


def _error_paths(result: SoakResult, most: int = 10) -> list[str]:
    """The requests that got an error or no answer, most frequent first, so none goes
    untraced."""
    failed = Counter((h.status, h.page, h.path) for h in result.hits if h.path)
    return [
        f"  {status or 'no answer'} × {n}: {page} {path}"
        for (status, page, path), n in failed.most_common(most)
    ]


def render(result: SoakResult, options: dict) -> str:
    window = 60 * options.get("window", 5.0)
    statuses = Counter(h.status for h in result.hits)
    errors = {s: n for s, n in sorted(statuses.items()) if s == 0 or s >= 400}
    by_window = windows(result, window)
    pages = [p for p in ACTIONS if any(p in w for w in by_window.values())]
    out = [
        "",
        f"# Soak: {result.seconds / 60:.1f} min on the production stack — "
        f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        f"Command: {options.get('command') or 'python -m bench.soak ' + ' '.join(sys.argv[1:])}",
        f"Machine: {machine_description()}; load average (1 min) at start "
        f"{result.load_average[0]:.2f}, at end {result.load_average[1]:.2f}.",
        f"Requests: {len(result.hits)}; by status: "
        + ", ".join(f"{s or 'no answer'} × {n}" for s, n in sorted(statuses.items()))
        + f"; errors: {errors or 'none'}.",
        "",
        f"p50 / p99 ms per page per {window / 60:g}-minute window:",
        "",
        "| window | " + " | ".join(pages) + " |",
        "|---|" + "---|" * len(pages),
    ]
    for index in sorted(by_window):
        cells = []
        for page in pages:
            values = sorted(by_window[index].get(page, []))
            cells.append(
                f"{_percentile(values, 50):.0f} / {_percentile(values, 99):.0f} ({len(values)})"
                if values
                else "—"
            )
        start = index * window / 60
        out.append(f"| {start:g}–{start + window / 60:g} min | " + " | ".join(cells) + " |")
    out += ["", "Web workers' memory (MB, private / shared) over time:", ""]
    series = memory_series(result)
    pids = sorted(series)
    out.append("| minute | " + " | ".join(f"worker {p}" for p in pids) + " |")
    out.append("|---|" + "---|" * len(pids))
    step = max(1, int(round(window / 2 / max(options.get("sample_every", 30), 1))))
    times = sorted({s["at"] for p in pids for s in series[p]})
    for at in times[::step] + ([times[-1]] if times and times[-1] not in times[::step] else []):
        cells = []
        for pid in pids:
            sample = next((s for s in series[pid] if s["at"] == at), None)
            cells.append(f"{sample['private']:.0f} / {sample['shared']:.0f}" if sample else "—")
        out.append(f"| {at / 60:.1f} | " + " | ".join(cells) + " |")
    celery = [s for s in result.memory if s["role"] == "celery"]
    if celery:
        out.append(
            f"\nCelery worker private memory: {celery[0]['private']:.0f} MB at the start, "
            f"{max(s['private'] for s in celery):.0f} MB at most, {celery[-1]['private']:.0f} MB "
            "at the end."
        )
    durations = [r["seconds"] for r in result.runs]
    out += [
        "",
        f"Retrainings: {len(result.runs)} started, {result.runs_completed} succeeded and "
        f"promoted"
        + (
            f" (each {min(durations):.0f}–{max(durations):.0f} s, "
            f"{options.get('retrain_epochs')} epochs of the served model's shape)"
            if durations
            else ""
        )
        + ".",
        f"Swaps: {len(result.swaps)} promotions, {result.swaps_completed} completed (every web "
        "worker on the new version's files and off the old one's)"
        + (
            f", in a median {statistics.median(done):.1f} s"
            if (done := [s["seconds"] for s in result.swaps if s["seconds"] is not None])
            else ""
        )
        + ".",
        f"Writes: {result.ratings_written} ratings with reviews and {result.uploads_written} "
        f"uploads acknowledged; lost: {len(result.ratings_lost)} ratings, "
        f"{len(result.uploads_lost)} uploads.",
        "",
        "Targets:",
        *verdicts(result, options),
    ]
    for lost in (result.ratings_lost + result.uploads_lost)[:20]:
        out.append(f"  lost: {lost}")
    return "\n".join(out)
