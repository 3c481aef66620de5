"""Which web-app code may import which: one direction between apps, no circles inside one.

Read from the source (every ``import``, including those inside functions), so a lazy import
cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


def module_name(path: Path) -> str:
    parts = path.relative_to(WEBAPP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("webapp.")}


def import_graph(package: str) -> dict[str, set[str]]:
    """Modules of ``webapp.<package>`` and the modules of it they import (migrations aside)."""
    root = WEBAPP / package
    modules = {
        module_name(path): path
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    }
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports (depth-first search), or [] when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def app_imports(app: str) -> set[str]:
    """The other apps (``webapp.<x>``) the code of ``webapp.<app>`` imports."""
    apps: set[str] = set()
    for path in (WEBAPP / app).rglob("*.py"):
        if "migrations" not in path.parts:
            apps.update(name.split(".")[1] for name in imports_of(path))
    return apps - {app}


def test_the_catalog_does_not_know_about_accounts():
    assert "accounts" in app_imports("movielens") and "catalog" in app_imports("movielens")
    assert "accounts" not in app_imports("catalog")


def test_no_app_imports_the_movielens_import():
    for app in ("catalog", "accounts", "recommender", "guards"):
        assert "movielens" not in app_imports(app), app


def test_the_recommender_app_has_no_circle_between_its_files():
    graph = import_graph("recommender")
    assert sum(len(targets) for targets in graph.values()) > 10  # the graph is really read
    assert a_cycle(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert a_cycle({"a": {"b"}, "b": set()}) == []


def test_the_product_never_imports_the_benchmarks():
    for path in WEBAPP.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }  # fmt: skip
        assert not any(name == "bench" or name.startswith("bench.") for name in names), path
