"""``python -m bench.first_run``: seconds from ``bin/run`` on an empty data folder to the first 200.

What a new user waits for after ``make run`` (dependencies already installed): migrations, the
MovieLens import, static files, and gunicorn's start. The first model then trains in the
background; this also reports how far it got, and how long a SIGTERM took to stop everything.
MovieLens is linked from ``data/raw`` when it is there (no download is timed), else downloaded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webapp.local_server import PROJECT_ROOT, free_port


def first_answer(port: int, process: subprocess.Popen, timeout: float) -> float | None:
    """Poll ``GET /`` until it answers 200; the monotonic time it did, or None if it never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return time.monotonic()
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600, help="give up after (600 s)")
    parser.add_argument("--log", type=Path, help="keep bin/run's output here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="spikelens-first-run-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        cached = PROJECT_ROOT / "data" / "raw"
        if cached.exists():
            (data / "raw").symlink_to(cached.resolve())
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_URL"))}
        env |= {
            "SPIKELENS_DATA_DIR": str(data),
            "DATABASE_URL": f"sqlite:///{data / 'spikelens.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(Path(scratch) / "static"),
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY", "first-run-benchmark-only"),
            "SPIKELENS_PORT": str(port),
            "WEB_ACCESS_LOG": str(Path(scratch) / "access.log"),
        }
        log_path = args.log or Path(scratch) / "run.log"
        with log_path.open("w") as log:
            started = time.monotonic()
            process = subprocess.Popen(
                ["bin/run"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                answered = first_answer(port, process, args.timeout)
                if answered is None:
                    print(log_path.read_text(), file=sys.stderr)
                    print("bin/run never answered 200", file=sys.stderr)
                    return 1
                with sqlite3.connect(data / "spikelens.sqlite3") as db:
                    state, progress = db.execute(
                        "SELECT state, progress FROM recommender_trainingrun ORDER BY id"
                    ).fetchone()
                asked = time.monotonic()
                os.kill(process.pid, signal.SIGTERM)
                code = process.wait(timeout=120)
                stopped = time.monotonic() - asked
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
        print(f"first HTTP 200 after {answered - started:.1f} s")
        print(f"first training run then: {state}, {100 * progress:.0f}% done")
        print(f"SIGTERM stopped everything in {stopped:.1f} s, exit status {code}")
        print(f"MovieLens from: {'data/raw (cached)' if cached.exists() else 'a download'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
