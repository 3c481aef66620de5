"""Metric names and the rating tables' column names are written once, in the modules that
define them (``recsys/metrics/names.py``, ``recsys/constants.py``); everything else imports them.

Read from the source with ``ast`` (nothing imported beyond the two defining modules), so a
``"ndcg@10"`` typed into a report or a ``"movie_id"`` typed into a frame lookup fails here instead
of drifting apart from the name the results are stored under.

Column names are checked everywhere in ``recsys/`` and ``training/`` (no Django there: a
``"movie_id"`` is always a frame column), and in ``webapp/`` and ``bench/`` only in modules that
import pandas, the ones that hold rating tables. In the other Django modules the same spelling is
the ORM's own — ``Rating.movie_id`` is the attname of the ``movie`` foreign key, ``"rating"`` a
sort key or an upload's header — which the constants module leaves to the models on purpose.
Migrations are generated and frozen, so they are not read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from recsys import constants
from recsys.metrics import names

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("recsys", "training", "webapp", "bench", "snn_models")
#: Where frames are the only tables: every column-name literal is one.
FRAME_ONLY = ("recsys", "training", "snn_models")
DEFINING = {ROOT / "recsys" / "metrics" / "names.py", ROOT / "recsys" / "constants.py"}

METRIC_NAMES = frozenset(
    value
    for key, value in vars(names).items()
    if key.isupper() and not key.startswith("_") and isinstance(value, str)
)
COLUMN_NAMES = frozenset(constants.RATING_COLUMNS)


def _imports_pandas(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "pandas" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pandas":
            return True
    return False


def literal_names(path: Path, frame_only: bool) -> list[str]:
    """``file:line: 'literal'`` for every string literal in ``path`` that spells a metric name,
    or a column name where the module holds rating tables (``frame_only`` or imports pandas)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    columns = frame_only or _imports_pandas(tree)
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in METRIC_NAMES or (columns and node.value in COLUMN_NAMES))
    ]


def _sources(package: str) -> list[Path]:
    return sorted(
        p
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p not in DEFINING
    )


def test_the_names_are_there_to_check():
    assert {names.NDCG_AT_10, names.TRAIN_SECONDS, names.MATCH_TEST_AUC} <= METRIC_NAMES
    assert set(constants.RATING_COLUMNS) == {"user_id", "movie_id", "rating", "timestamp"}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_source_module_spells_a_metric_or_column_name(package):
    found = [
        f"{path.relative_to(ROOT).parent}/{hit}"
        for path in _sources(package)
        for hit in literal_names(path, frame_only=package in FRAME_ONLY)
    ]
    assert _sources(package), f"no sources found under {package}/"
    assert found == [], "import these from recsys.metrics.names / recsys.constants"


def test_the_scan_sees_a_planted_metric_name(tmp_path):
    planted = tmp_path / "report.py"
    planted.write_text('def score(m):\n    return m["ndcg@10"] + m[NDCG]\n')
    assert literal_names(planted, frame_only=False) == ["report.py:2: 'ndcg@10'"]


def test_the_scan_sees_a_planted_column_name_where_frames_live(tmp_path):
    planted = tmp_path / "frames.py"
    planted.write_text(
        'import pandas as pd\n\ndef ids(f: pd.DataFrame):\n    return f["movie_id"]\n'
    )
    assert literal_names(planted, frame_only=False) == ["frames.py:4: 'movie_id'"]
    assert literal_names(planted, frame_only=True) == ["frames.py:4: 'movie_id'"]


def test_the_scan_leaves_an_orm_field_alone_in_a_django_module(tmp_path):
    """The same spelling in a module without frames is Django's foreign-key attname."""
    orm = tmp_path / "views.py"
    orm.write_text('def ids(qs):\n    return qs.values_list("movie_id", flat=True)\n')
    assert literal_names(orm, frame_only=False) == []
    assert literal_names(orm, frame_only=True) == ["views.py:2: 'movie_id'"]
