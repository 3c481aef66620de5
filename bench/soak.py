"""``python -m bench.soak [--minutes 60]``: visitors, retrainings and promotions on the
production stack for an hour (``bench.soak_load``)."""

from __future__ import annotations

from bench.django_entry import run_command

if __name__ == "__main__":
    run_command("bench.soak_load", "bench.soak")
