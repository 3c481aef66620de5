"""The floors of the code import downwards only: bench → webapp → training → recsys →
snn_models, and views never import views.

Read from the source with ``ast`` (nothing imported), so a new upward arrow fails here before a
reviewer has to draw the graph; imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Top floor first: a package may import its own floor and those after it.
FLOORS = ("bench", "webapp", "training", "recsys", "snn_models")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", FLOORS)
def test_a_floor_imports_only_itself_and_the_floors_below(package):
    above = set(FLOORS[: FLOORS.index(package)])
    upward = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name.split(".")[0] in above
    ]
    assert _sources(package), f"no sources found under {package}/"
    assert upward == []


def test_no_view_imports_another_view_module():
    views = [p for p in _sources("webapp") if p.name == "views.py" or "views" in p.parent.parts]
    crossing = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in views
        for name in _imports(path)
        if name.startswith("webapp.") and name.split(".")[-1] == "views"
    ]
    assert views and crossing == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The scan itself: an upward import written into a file is found."""
    source = tmp_path / "probe.py"
    source.write_text("def late():\n    from webapp.catalog import models\n")
    assert "webapp.catalog" in _imports(source)
