"""``python -m bench.web [options]``: the home-page load benchmark (``bench.home_page``).

Django is set up here, before the benchmark's modules import any model, so the benchmark runs
as a plain module outside the product's apps and management commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from bench.home_page import Command

    Command().run_from_argv(
        ["python -m bench.web", "bench_web", *(sys.argv[1:] if argv is None else argv)]
    )


if __name__ == "__main__":
    main()
