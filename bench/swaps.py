"""``python -m bench.swaps [--swaps 30]``: web workers' memory over alternating promotions
(``bench.promotions``)."""

from __future__ import annotations

from bench.django_entry import run_command

if __name__ == "__main__":
    run_command("bench.promotions", "bench.swaps")
