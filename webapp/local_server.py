"""A gunicorn of the site on a free local port: started, waited for and stopped in one place.

Why one launcher: the benchmarks (``bench.web``), the hostile-request run and the tests that
need real HTTP all start gunicorn, wait until it answers and stop it; each used to do so in its
own way, with its own timeouts and its own handling of a server that dies while starting.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The site's own configuration (threaded workers, limits, timeouts), as ``bin/run`` serves it.
SITE_CONFIG = ("-c", "webapp/gunicorn_conf.py")


def free_port() -> int:
    """A local TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The URL of the database this process uses (under tests, the test database), for a
    server started beside it that must read and write the very same rows."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


class LocalGunicorn:
    """``gunicorn ARGS webapp.wsgi`` bound to 127.0.0.1 on a port of its own.

    ``args`` defaults to the site's configuration; the bind address is always given on the
    command line, which gunicorn lets override the configuration file.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        args: Sequence[str] = SITE_CONFIG,
        ready_path: str = "/",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.ready_path = ready_path
        self.env = {**env, "SPIKELENS_HOST": "127.0.0.1", "SPIKELENS_PORT": str(self.port)}
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{self.port}",
             "webapp.wsgi:application"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def tmp_dir(self) -> Path:
        """Where the server spools request bodies and other temporary files."""
        return Path(self.env.get("TMPDIR") or tempfile.gettempdir())

    def wait_ready(self, timeout: float = 60) -> None:
        """Return once ``ready_path`` answers 200; raise with the server's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited while starting:\n{self.log()}")
            if self._answers():
                return
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not answer within {timeout:g} s:\n{self.log()}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", self.ready_path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextmanager
def local_gunicorn(
    env: dict[str, str],
    log_path: Path,
    args: Sequence[str] = SITE_CONFIG,
    ready_path: str = "/",
    timeout: float = 60,
) -> Iterator[LocalGunicorn]:
    """A started and answering :class:`LocalGunicorn`, stopped on leaving the block."""
    server = LocalGunicorn(env, log_path, args, ready_path)
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()
