"""``python -m bench.hostile``: attack a local gunicorn for a minute and check nothing broke.

Starts gunicorn on 127.0.0.1 (a free port, the site's own gunicorn config, DEBUG off) against the
database the environment configures, counts rows and media files, runs every attack in
``bench.hostile.attacks`` and counts again. Exit status 1 on any 5xx or anything lost.
Use a scratch database: the run adds users, and movies for the uploads that are valid.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from bench.hostile.attacks import Report, run_attacks
from bench.hostile.inventory import Inventory, compare, seed_catalogue
from bench.hostile.site import Site
from webapp.local_server import LocalGunicorn, database_url


class Command(BaseCommand):
    help = "Run hostile requests against a local gunicorn; fail on any 5xx or lost data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=15, help="seed of the mutated posters")

    def handle(self, *args, **options) -> None:
        seed = options["seed"]
        seed_catalogue()
        with tempfile.TemporaryDirectory(prefix="spikelens-hostile-") as scratch:
            env = self._server_env(Path(scratch))
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                env=env,
                check=True,
            )
            log_path = Path(scratch) / "gunicorn.log"
            server = LocalGunicorn(env, log_path)
            try:
                try:
                    server.wait_ready()
                except (RuntimeError, TimeoutError) as exc:
                    raise CommandError(str(exc)) from exc
                report = self._attack(Site(server.port), seed)
            finally:
                server.stop()
            server_log = log_path.read_text(errors="replace")
        self._finish(report, server_log)

    def _attack(self, site: Site, seed: int) -> Report:
        member_password = secrets.token_urlsafe(16)
        staff_password = secrets.token_urlsafe(16)
        for name, password, staff in (
            ("hostile-member", member_password, False),
            ("hostile-staff", staff_password, True),
        ):
            user, _ = User.objects.get_or_create(username=name)
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
        member = site.log_in("hostile-member", member_password)
        staff = site.log_in("hostile-staff", staff_password)
        self.before = Inventory.take()
        self.stdout.write(f"before: {self.before.counts}")
        report = Report()
        started = time.monotonic()
        run_attacks(site, member, staff, report, seed)
        self.seconds = time.monotonic() - started
        self.after = Inventory.take()
        return report

    def _finish(self, report: Report, server_log: str) -> None:
        problems = compare(self.before, self.after)
        tracebacks = server_log.count("Traceback")
        self.stdout.write(f"after:  {self.after.counts}")
        for line in report.lines:
            self.stdout.write(f"  {line}")
        total = sum(report.statuses.values())
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items(), key=str))
        self.stdout.write(f"{total} hostile requests in {self.seconds:.1f} s; answers {statuses}")
        self.stdout.write(
            f"5xx: {len(report.server_errors)}; lost or changed: {len(problems)}; "
            f"tracebacks in the server log: {tracebacks}"
        )
        for line in report.server_errors + problems:
            self.stdout.write(f"  ! {line}")
        if report.server_errors or problems:
            raise CommandError("The hostile run found server errors or lost data.")
        self.stdout.write(self.style.SUCCESS("No 5xx, nothing lost."))

    @staticmethod
    def _server_env(scratch: Path) -> dict[str, str]:
        env = {
            **os.environ,
            # This command's own settings (production ones when run by hand), with DEBUG off.
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "webapp.settings"),
            "DJANGO_DEBUG": "0",
            "DJANGO_STATIC_ROOT": str(scratch / "static"),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "WEB_ACCESS_LOG": str(scratch / "access.log"),
            "TMPDIR": str(scratch),
            "PYTHONUNBUFFERED": "1",
        }
        env.setdefault("DJANGO_SECRET_KEY", settings.SECRET_KEY)
        env["DATABASE_URL"] = database_url()  # the very database this command counts
        return env
