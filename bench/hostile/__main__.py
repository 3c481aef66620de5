"""``python -m bench.hostile [--seed 15]``: the hostile run (``bench.hostile.run``)."""

from __future__ import annotations

from bench.django_entry import run_command

if __name__ == "__main__":
    run_command("bench.hostile.run", "bench.hostile")
