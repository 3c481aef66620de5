"""The production stack on loopback, started by ``bin/run`` as ``make run`` starts it.

``bin/run`` migrates, prepares the site, collects static files, then runs gunicorn with the
site's configuration (``webapp/gunicorn_conf.py``, ``WEB_CONCURRENCY`` workers), a Celery worker
and beat, and stops them together on SIGTERM. The long-running benchmarks (``bench.soak``,
``bench.swaps``) start exactly that, on a free port of 127.0.0.1, against the database and
broker the environment configures, with queues of their own (so the stack's worker never takes
another deployment's messages on a shared broker) and a scratch folder for its static files,
uploads and logs.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings

from bench.procmem import children, command_line, descendants, mapped_versions
from webapp.local_server import PROJECT_ROOT, database_url, free_port

READY_PATH = "/static/css/spikelens.css"


def production_services() -> str | None:
    """Why this process is not configured like the README's production setup (PostgreSQL and
    Redis), or None when it is."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL does not name a PostgreSQL database"
    if not str(settings.CELERY_BROKER_URL).startswith("redis://"):
        return "CELERY_BROKER_URL does not name a Redis server"
    return None


class ProductionStack:
    """``bin/run`` in a session of its own; :meth:`stop` ends it (and all it started)."""

    def __init__(self, scratch: Path, extra_env: dict[str, str] | None = None) -> None:
        self.scratch = Path(scratch)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.artifacts_dir = Path(settings.SPIKELENS_ARTIFACTS_DIR).resolve()
        self.log_path = self.scratch / "stack.log"
        tag = f"bench-{secrets.token_hex(4)}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
            "CELERY_RESULT_BACKEND": str(settings.CELERY_RESULT_BACKEND),
            "CELERY_TASK_DEFAULT_QUEUE": tag,
            "SPIKELENS_TRAINING_QUEUE": f"{tag}-training",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # sessions made here must be valid there
            "DJANGO_DEBUG": "0",
            "DJANGO_STATIC_ROOT": str(self.scratch / "static"),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SPIKELENS_DATA_DIR": str(settings.DATA_DIR),
            "SPIKELENS_ARTIFACTS_DIR": str(self.artifacts_dir),
            "SPIKELENS_TRAINING_PRESET": str(settings.SPIKELENS_TRAINING_PRESET),
            "SPIKELENS_HOST": "127.0.0.1",
            "SPIKELENS_PORT": str(self.port),
            "WEB_ACCESS_LOG": str(self.scratch / "access.log"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)  # bin/run serves the production settings
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(PROJECT_ROOT / "bin" / "run")],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def training_queue(self) -> str:
        """The queue its worker trains from: send training runs here (``settings``)."""
        return self.env["SPIKELENS_TRAINING_QUEUE"]

    def wait_ready(self, timeout: float = 600) -> None:
        """Until the site answers and every web worker has started; raises with the log."""
        deadline = time.monotonic() + timeout
        workers = int(self.env.get("WEB_CONCURRENCY", "2"))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bin/run exited while starting:\n{self.log()[-6000:]}")
            if self._answers() and len(self.web_workers()) >= workers:
                return
            time.sleep(0.5)
        raise TimeoutError(f"the stack did not answer within {timeout:g} s:\n{self.log()[-6000:]}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", READY_PATH)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    # ------------------------------------------------------------------ its processes
    def _service(self, *words: str) -> int | None:
        """The oldest descendant whose command line holds every word (a service, not its
        children)."""
        for pid in descendants(self.process.pid):
            line = " ".join(command_line(pid))
            if all(word in line for word in words):
                return pid
        return None

    def gunicorn_master(self) -> int | None:
        return self._service("gunicorn", "webapp.wsgi")

    def web_workers(self) -> list[int]:
        """The master's gunicorn children (it also parents the shell that labels its log)."""
        master = self.gunicorn_master()
        if master is None:
            return []
        return [pid for pid in children(master) if "gunicorn" in " ".join(command_line(pid))]

    def celery_worker(self) -> int | None:
        return self._service("celery", "worker")

    def versions_mapped(self) -> dict[int, set[str]]:
        """Each web worker's mapped model versions (artifact folder names)."""
        return {pid: mapped_versions(pid, self.artifacts_dir) for pid in self.web_workers()}

    # ------------------------------------------------------------------ the end
    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 90) -> int | None:
        """SIGTERM to ``bin/run``, which stops its services in order; SIGKILL to each of its
        processes if it hangs. Returns bin/run's exit status (0 for a clean stop)."""
        if self.process.poll() is None:
            started = descendants(self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for pid in [*descendants(self.process.pid), *started, self.process.pid]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return self.process.returncode

    # ------------------------------------------------------------------ swaps
    def wait_serving(self, version: str | None, poke, timeout: float = 300) -> float:
        """Seconds until every web worker maps ``version``'s files and no other version's
        (None: no version), calling ``poke()`` meanwhile (requests make a worker check which
        version is active). Raises TimeoutError with what each worker maps."""
        started = time.monotonic()
        wanted = set() if version is None else {version}
        while True:
            mapped = self.versions_mapped()
            if mapped and all(found == wanted for found in mapped.values()):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"workers did not swap to {version} in {timeout:g} s: {mapped}")
            if self.process.poll() is not None:
                raise RuntimeError(f"bin/run exited:\n{self.log()[-6000:]}")
            poke()
            time.sleep(0.2)
