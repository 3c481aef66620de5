"""Every benchmark module imports: a benchmark nobody ran since a refactor still has to load,
or its first run after a move fails on a name that no longer exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(bench.__path__, prefix="bench.")
    if not info.name.endswith("__main__")
)


def test_the_walk_finds_the_benchmarks():
    assert {"bench.soak_load", "bench.hostile.run", "bench.retrain_workers"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    assert importlib.import_module(name).__name__ == name
