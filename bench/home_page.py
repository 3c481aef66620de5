"""The command behind ``python -m bench.web``: home-page latency for a logged-in heavy rater under concurrent load.

Runs against the database the environment configures (use PostgreSQL: set DATABASE_URL), serves
the site with gunicorn in production mode (DEBUG off, WhiteNoise, collected static files), logs
in through the real login form, and drives the home page with ``wrk`` (closed loop) and with a
paced client (open loop). Prints p50/p90/p99 and throughput and writes a Markdown report.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.loadtest import (
    LoadResult,
    fetch,
    gunicorn_server,
    log_in,
    machine_description,
    prepare_visitor,
    run_paced,
    run_wrk,
    wrk_available,
)
from webapp.catalog.models import Movie
from webapp.recommender.models import ModelVersion

# How the home page credits its picks to a model version (popularity picks carry no such line).
# What a visitor's home page says when the model chose the picks (its version id is staff-only;
# the report takes it from the database).
MODEL_CREDIT = "Chosen for you by the spiking recommender."

TARGET_P50_MS = 30.0
TARGET_P99_MS = 100.0


class Command(BaseCommand):
    help = "Benchmark the home page for a logged-in user with many ratings under concurrent load."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
        parser.add_argument("--duration", type=int, default=20, help="seconds per run (20)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
        parser.add_argument("--ratings", type=int, default=120, help="the visitor's ratings (120)")
        parser.add_argument(
            "--paced-rate",
            type=float,
            nargs="*",
            default=[1.0],
            help="requests per second per client, one paced run per value (1.0; none skips)",
        )
        parser.add_argument("--username", default="bench-visitor")
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "docs" / "results" / "bench_web.md"),
            help="Markdown report to write ('' to skip)",
        )

    def handle(self, *args, **options) -> None:
        if not wrk_available():
            raise CommandError("wrk is not installed (apt-get install wrk).")
        vendor = connection.vendor
        if vendor != "postgresql":
            self.stderr.write(
                self.style.WARNING(f"Running on {vendor}; the target numbers are for PostgreSQL.")
            )
        self.stdout.write("1/5 migrating and making sure the catalogue is there…")
        call_command("migrate", interactive=False, verbosity=0)
        if Movie.objects.count() < options["ratings"]:
            call_command("import_movielens", stdout=self.stdout, stderr=self.stderr)
        visitor = prepare_visitor(options["username"], options["ratings"])
        self.stdout.write(
            f"   visitor {visitor.username} (id {visitor.user_id}) has {options['ratings']} ratings"
        )

        with tempfile.TemporaryDirectory(prefix="spikelens-bench-") as scratch:
            env = self._server_env(Path(scratch))
            self.stdout.write("2/5 collecting static files (production mode, WhiteNoise)…")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                env=env,
                cwd=settings.BASE_DIR,
                check=True,
            )
            self.stdout.write(f"3/5 starting gunicorn with {options['workers']} workers…")
            load_before = os.getloadavg()
            with gunicorn_server(env, options["workers"], Path(scratch) / "gunicorn.log") as server:
                cookie = log_in(server.url, visitor)
                status, html = fetch(server.url, "/", cookie)
                if status != 200 or "Today's picks for you" not in html:
                    raise CommandError(
                        f"The home page did not show the visitor's picks ({status})."
                    )
                active = ModelVersion.objects.filter(is_active=True).first()
                if active is not None:
                    html = self._wait_for_model(server, cookie)
                options["picks_source"] = (
                    f"the active model ({active.name})"
                    if active is not None and MODEL_CREDIT in html
                    else "the popularity fallback"
                )
                self.stdout.write(f"   picks come from {options['picks_source']}")
                # Warm up: connections, caches, and each worker's picks for the visitor.
                run_wrk(server, "/", cookie, options["clients"], 10)
                self.stdout.write(
                    f"4/5 wrk: {options['clients']} concurrent clients for {options['duration']}s…"
                )
                closed = run_wrk(server, "/", cookie, options["clients"], options["duration"])
                results = [closed]
                for rate in options["paced_rate"]:
                    self.stdout.write(
                        f"5/5 paced: {options['clients']} clients at {rate:g} req/s each "
                        f"for {options['duration']}s…"
                    )
                    results.append(
                        run_paced(
                            server, "/", cookie, options["clients"], rate, options["duration"]
                        )
                    )
            options["load"] = (load_before, os.getloadavg())
        for result in results:
            self.stdout.write(self._line(result))
        if options["output"]:
            report = self._report(results, options, vendor)
            Path(options["output"]).parent.mkdir(parents=True, exist_ok=True)
            Path(options["output"]).write_text(report)
            self.stdout.write(f"Report written to {options['output']}")

    def _wait_for_model(self, server, cookie: str, in_a_row: int = 40, timeout: float = 300) -> str:
        """Each worker loads the active model in the background on its first requests; that
        one-off cost (seconds of CPU) must not be counted as the cost of page views. Returns
        the last page, which shows the model that served it."""
        self.stdout.write("   waiting until every worker serves the active model…")
        deadline = time.monotonic() + timeout
        streak = 0
        while streak < in_a_row:
            if time.monotonic() > deadline:
                raise CommandError("The workers did not load the active model in time.")
            _, html = fetch(server.url, "/", cookie)
            streak = streak + 1 if MODEL_CREDIT in html else 0
            if not streak:
                time.sleep(0.5)
        return html

    def _server_env(self, scratch: Path) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webapp.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_STATIC_ROOT": str(scratch / "static"),
            "SPIKELENS_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
        db = connection.settings_dict
        if db["ENGINE"].endswith("sqlite3"):
            env.setdefault("DATABASE_URL", f"sqlite:///{Path(db['NAME']).resolve()}")
        return env

    @staticmethod
    def _line(result: LoadResult) -> str:
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms.items())
        return (
            f"{result.tool}: {result.requests} requests, {result.errors} errors, "
            f"p50 {result.p50_ms:.1f} ms, p90 {result.p90_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"{result.throughput_rps:.0f} req/s; CPU ms per request: {cpu}"
        )

    @staticmethod
    def _reading(results: list[LoadResult], options: dict) -> str:
        """What the numbers mean against the target, computed from the numbers themselves."""
        closed = results[0]
        needed = options["clients"] / (TARGET_P50_MS / 1000)
        lines = [
            "How to read this: in the closed loop every client sends its next request the moment "
            "the previous answer arrives, so by Little's law the mean latency is about "
            f"clients / throughput = {options['clients']} / {closed.throughput_rps:.0f} req/s "
            f"≈ {1000 * options['clients'] / max(closed.throughput_rps, 1e-9):.0f} ms, whatever "
            f"the page costs. A p50 under {TARGET_P50_MS:.0f} ms at {options['clients']} "
            f"saturating clients would need about {needed:,.0f} req/s from "
            f"{options['workers']} workers sharing the CPUs with the load generator."
        ]
        if closed.cpu_ms:
            per_request = sum(closed.cpu_ms.values())
            cpus = os.cpu_count() or 1
            capacity = 1000 * cpus / per_request
            lines.append(
                f"CPU time is far less sensitive to other work on the machine than wall time: the "
                f"closed loop used {closed.cpu_ms['web']:.2f} ms (web) + "
                f"{closed.cpu_ms['database']:.2f} ms (PostgreSQL) + "
                f"{closed.cpu_ms['generator']:.2f} ms (wrk) of CPU per request, so {cpus} otherwise "
                f"idle CPUs could serve about {capacity:.0f} req/s with the generator beside the "
                f"server, which by Little's law puts a saturating closed loop of "
                f"{options['clients']} clients near {1000 * options['clients'] / capacity:.0f} ms."
            )
        for paced in results[1:]:
            per_client = paced.throughput_rps / paced.clients
            verdict = (
                "meets"
                if paced.p50_ms < TARGET_P50_MS and paced.p99_ms < TARGET_P99_MS
                else "misses"
            )
            lines.append(
                f"In a paced run the same {paced.clients} clients each ask about every "
                f"{1 / per_client:.2g} s ({paced.throughput_rps:.0f} req/s in all), so "
                "latency is the cost of one request plus any queueing; it "
                f"{verdict} the target (p50 {paced.p50_ms:.1f} ms, p99 {paced.p99_ms:.1f} ms)."
            )
        return "\n\n".join(lines)

    def _report(self, results: list[LoadResult], options: dict, vendor: str) -> str:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("SHOW server_version")
                database = f"PostgreSQL {cursor.fetchone()[0]}"
            else:
                database = vendor
        args = (
            " ".join(
                f"--{name.replace('_', '-')} {options[name]}"
                for name in ("clients", "duration", "workers", "ratings")
            )
            + " --paced-rate "
            + " ".join(f"{rate:g}" for rate in options["paced_rate"])
        )
        rows = "\n".join(
            f"| {r.tool} | {r.requests} | {r.errors} | {r.p50_ms:.1f} | {r.p90_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.throughput_rps:.0f} | {r.cpu_ms.get('web', 0):.2f} | "
            f"{r.cpu_ms.get('database', 0):.2f} | {r.cpu_ms.get('generator', 0):.2f} |"
            for r in results
        )
        (before_1m, _, _), (after_1m, _, _) = options["load"]
        return f"""# Web benchmark: the home page for a logged-in heavy rater

Date: {dt.date.today().isoformat()}. Machine: {machine_description()}. Database: {database}.
The load generator runs on the same machine and shares its CPUs with the server. Load average
(1 min) before the runs: {before_1m:.2f}, after: {after_1m:.2f}; anything well above 0 means
other work shared the CPUs and the latencies below are inflated by it.

```sh
DATABASE_URL=… .venv/bin/python -m bench.web {args}
```

gunicorn {options["workers"]} sync workers, DEBUG off, static files by WhiteNoise; the visitor has
{options["ratings"]} ratings and three favourite genres; picks from {options["picks_source"]}.
Target: p50 < {TARGET_P50_MS:.0f} ms and p99 < {TARGET_P99_MS:.0f} ms at {options["clients"]} concurrent clients.

| load | requests | errors | p50 ms | p90 ms | p99 ms | req/s | CPU ms/req web | database | load generator |
|---|---|---|---|---|---|---|---|---|---|
{rows}

{self._reading(results, options)}
"""
