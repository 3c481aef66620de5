"""``python -m bench.search [options]``: title-search timings (``bench.title_search``)."""

from __future__ import annotations

from bench.django_entry import run_command

if __name__ == "__main__":
    run_command("bench.title_search", "bench.search")
