"""Run a benchmark written as a Django command as ``python -m bench.<name>``.

Django is set up before the benchmark's module is imported (its models need the app registry),
so benchmarks live here, outside the product's apps and their management commands.
"""

from __future__ import annotations

import importlib
import os
import sys


def run_command(module: str, prog: str, argv: list[str] | None = None) -> None:
    """Set Django up, then run ``module``'s ``Command`` with ``argv`` (default: sys.argv[1:])."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    command = importlib.import_module(module).Command()
    command.run_from_argv(["python -m", prog, *(sys.argv[1:] if argv is None else argv)])
