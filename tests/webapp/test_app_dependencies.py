"""The Django apps depend on each other in one direction only, and no app's files in a circle.

Every ``import``/``from … import`` in every module of every app (management commands and
function-level imports included) is read with :mod:`ast`, so a cycle cannot hide behind a lazy
import. The app graph must be acyclic: the recommender reads the catalogue, the catalogue
announces changes through signals and hooks registered in ``AppConfig.ready``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


def django_apps() -> list[str]:
    return sorted(path.parent.name for path in WEBAPP.glob("*/apps.py"))


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def app_graph() -> dict[str, dict[str, list[str]]]:
    """app → other app → the files of ``app`` that import it."""
    apps = django_apps()
    graph: dict[str, dict[str, list[str]]] = {app: {} for app in apps}
    for app in apps:
        for path in sorted((WEBAPP / app).rglob("*.py")):
            for module in imported_modules(path.read_text()):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "webapp" and parts[1] in apps:
                    target = parts[1]
                    name = str(path.relative_to(WEBAPP.parent))
                    if target != app:
                        files = graph[app].setdefault(target, [])
                        if name not in files:
                            files.append(name)
    return graph


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of nodes (first == last), or None for an acyclic graph."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(edges.get(node, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_the_finder_sees_a_cycle_and_its_absence():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_count():
    source = "def f():\n    from webapp.catalog.models import Movie\nimport webapp.accounts\n"
    assert imported_modules(source) >= {"webapp.catalog.models", "webapp.accounts"}


def test_the_graph_covers_the_known_apps():
    graph = app_graph()
    assert {"accounts", "catalog", "recommender"} <= set(graph)
    # The direction this layout is built on: the recommender reads the catalogue.
    assert "catalog" in graph["recommender"]


def test_catalogue_never_imports_the_recommender():
    catalog = app_graph()["catalog"]
    assert "recommender" not in catalog, catalog


def test_no_import_cycle_between_apps():
    graph = app_graph()
    edges = {app: set(targets) for app, targets in graph.items()}
    cycle = find_cycle(edges)
    assert cycle is None, (
        "import cycle "
        + " → ".join(cycle)
        + ": "
        + str({a: graph[a][b] for a, b in zip(cycle, cycle[1:], strict=False)})
    )


def file_graph(app: str) -> dict[str, set[str]]:
    """Module of ``webapp.<app>`` → the modules of the same app it imports (migrations aside)."""
    modules = {}
    for path in (WEBAPP / app).rglob("*.py"):
        if "migrations" not in path.parts:
            parts = path.relative_to(WEBAPP.parent).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return {
        name: {m for m in imported_modules(path.read_text()) if m in modules and m != name}
        for name, path in modules.items()
    }


@pytest.mark.parametrize("app", django_apps())
def test_no_import_cycle_between_the_files_of_one_app(app):
    graph = file_graph(app)
    assert find_cycle(graph) is None, find_cycle(graph)


def test_the_recommender_file_graph_is_really_read():
    # training runs: tasks → dispatch, execution → lifecycle (the circle issue 17 found is gone)
    graph = file_graph("recommender")
    assert "webapp.recommender.runs.dispatch" in graph["webapp.recommender.tasks"]
    assert "webapp.recommender.runs.lifecycle" in graph["webapp.recommender.runs.execution"]


def test_the_movielens_import_builds_on_catalog_and_accounts_and_nothing_imports_it():
    graph = app_graph()
    assert {"catalog", "accounts"} <= set(graph["movielens"])
    assert "accounts" not in graph["catalog"]
    assert not [app for app, targets in graph.items() if "movielens" in targets]


def test_the_product_never_imports_the_benchmarks():
    for path in WEBAPP.rglob("*.py"):
        names = imported_modules(path.read_text())
        assert not [n for n in names if n == "bench" or n.startswith("bench.")], path
