"""``python -m bench.web [options]``: the home-page load benchmark (``bench.home_page``)."""

from __future__ import annotations

from bench.django_entry import run_command

if __name__ == "__main__":
    run_command("bench.home_page", "bench.web")
