"""The Django apps depend on each other in one direction only.

Every ``import``/``from … import`` in every module of every app (management commands and
function-level imports included) is read with :mod:`ast`, so a cycle cannot hide behind a lazy
import. The app graph must be acyclic: the recommender reads the catalogue, the catalogue
announces changes through signals and hooks registered in ``AppConfig.ready``.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
# Imports other work is removing (issue 17): the load test and the web benchmark move out of the
# catalogue into bench/, and the MovieLens import stops reaching into accounts. Each must still
# exist, so this list can only shrink; nothing may be added to it.
PENDING_IMPORTS: set[tuple[str, str]] = set()


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


def app_graph(skip: set[tuple[str, str]] = frozenset()) -> dict[str, dict[str, list[str]]]:
    """app → other app → the files of ``app`` that import it, leaving out ``skip``'s
    (file, app) imports."""
    apps = django_apps()
    graph: dict[str, dict[str, list[str]]] = {app: {} for app in apps}
    for app in apps:
        for path in sorted((WEBAPP / app).rglob("*.py")):
            for module in imported_modules(path.read_text()):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "webapp" and parts[1] in apps:
                    target = parts[1]
                    name = str(path.relative_to(WEBAPP.parent))
                    if target != app and (name, target) not in skip:
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
    catalog = app_graph(PENDING_IMPORTS)["catalog"]
    assert "recommender" not in catalog, catalog


def test_pending_imports_still_exist():
    graph = app_graph()
    gone = [
        (name, target)
        for name, target in PENDING_IMPORTS
        if name not in graph[name.split("/")[1]].get(target, [])
    ]
    assert not gone, f"remove {gone} from PENDING_IMPORTS: the import is gone"


def test_no_import_cycle_between_apps():
    graph = app_graph(PENDING_IMPORTS)
    edges = {app: set(targets) for app, targets in graph.items()}
    cycle = find_cycle(edges)
    assert cycle is None, (
        "import cycle "
        + " → ".join(cycle)
        + ": "
        + str({a: graph[a][b] for a, b in zip(cycle, cycle[1:], strict=False)})
    )
