"""A model version's page shows its key metrics as a table, the stored JSON folded below it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from recsys.metrics import names
from webapp.recommender.admin.display import compact_duration, metrics_table
from webapp.recommender.models import ModelVersion

pytestmark = pytest.mark.django_db

FULL_METRICS = {
    names.NDCG_AT_10: 0.4923456789,
    names.MAP_AT_10: 0.1456789,
    names.PRECISION_AT_10: 0.41234,
    names.RECALL_AT_10: 0.2287654,
    names.TRAIN_SECONDS: 98.7654321,
    names.PEAK_MB: 1234.5678,
    names.MATCH_CALIBRATION_RATINGS: 25000.0,
    names.MATCH_TEST_CALIBRATION_ERROR: 0.0213456,
    names.MATCH_TEST_BRIER_SKILL: 0.08765,
    names.ENERGY_SNN_AC: 1234567.0,
    names.ENERGY_SNN_MAC: 2345.0,
    names.ENERGY_SNN_NJ: 2391.234,
    names.ENERGY_ANN_NJ: 17234.5,
    names.ENERGY_ANN_OVER_SNN: 7.2071,
    names.ENERGY_ANN_SPARSE_INPUT_NJ: 5012.3,
    names.ENERGY_ANN_SPARSE_INPUT_OVER_SNN: 2.0961,
    names.ENERGY_EASE_NJ: 6789.0,
    names.ENERGY_BPR_NJ: 1234.0,
    "spike_rate/user_l1": 0.123456789,
}


class TableRows(HTMLParser):
    """The metrics table as [(label, value)] rows and its group titles, from the page's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.groups: list[str] = []
        self._depth = 0  # inside table.metrics-table
        self._cells: list[str] | None = None
        self._text: list[str] = []
        self._group = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("class") == "metrics-table":
            self._depth += 1
        elif self._depth and tag == "tr":
            self._cells = []
        elif self._depth and tag in ("th", "td"):
            self._text = []
            self._group = attrs.get("scope") == "colgroup"

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1
        elif self._depth and tag in ("th", "td") and self._cells is not None:
            text = "".join(self._text).strip()
            (self.groups.append(text) if self._group else self._cells.append(text))
        elif self._depth and tag == "tr" and self._cells is not None:
            if len(self._cells) == 2:
                self.rows.append((self._cells[0], self._cells[1]))
            self._cells = None

    def handle_data(self, data):
        self._text.append(data)


def table_of(html: str) -> TableRows:
    parser = TableRows()
    parser.feed(html)
    return parser


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "a-long-password"))
    return client


def version_page(client, metrics) -> str:
    version = ModelVersion.objects.create(
        name="v0007", artifact_path=f"/nowhere/{len(metrics)}", metrics=metrics
    )
    url = reverse("admin:recommender_modelversion_change", args=[version.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_version_with_every_metric_shows_a_rounded_table(staff_client):
    html = version_page(staff_client, FULL_METRICS)
    table = table_of(html)
    rows = dict(table.rows)
    assert table.groups == [
        "Ranking (test split, top 10)",
        "Training",
        "Predicted match (calibration)",
        "Energy per recommendation",
    ]
    assert [label for label, _ in table.rows[:4]] == ["nDCG@10", "MAP@10", "P@10", "R@10"]
    assert rows["nDCG@10"] == "0.4923" and rows["MAP@10"] == "0.1457"
    assert rows["P@10"] == "0.4123" and rows["R@10"] == "0.2288"
    assert rows["Training time"] == "1 min 39 s" and rows["Peak memory"] == "1,235 MB"
    assert rows["Held-out ratings it was fitted on"] == "25,000"
    assert rows["Calibration error, out of fold (0 is perfect)"] == "0.021"
    assert rows["Brier skill over the base rate, out of fold"] == "+0.088"
    assert rows["Spiking network"] == (
        "2.39 µJ (1,234,567 accumulates, 2,345 multiply-accumulates)"
    )
    assert rows["The same network as an ANN"] == "17.23 µJ (7.2× more)"
    assert rows["That ANN skipping zero inputs"] == "5.01 µJ (2.1× more)"
    assert rows["EASE scoring"] == "6.79 µJ" and rows["BPR scoring"] == "1.23 µJ"
    assert "Horowitz 2014" in html
    # No raw float in the table; the full JSON is still there, folded and rounded.
    table_html = re.search(r'<table class="metrics-table">.*?</table>', html, re.S).group(0)
    assert "0.4923456789" not in table_html and "98.765" not in table_html
    assert "<details><summary>All 19 stored numbers, as JSON</summary>" in html
    assert "&quot;spike_rate/user_l1&quot;: 0.1235" in html and "0.123456789" not in html


def test_a_version_with_partial_metrics_shows_what_it_has(staff_client):
    html = version_page(
        staff_client,
        {names.NDCG_AT_10: 0.47, names.TRAIN_SECONDS: 4000.4, names.ENERGY_SNN_NJ: 512.0},
    )
    table = table_of(html)
    assert table.groups == [
        "Ranking (test split, top 10)",
        "Training",
        "Energy per recommendation",
    ]
    assert table.rows == [
        ("nDCG@10", "0.4700"),
        ("MAP@10", "—"),
        ("P@10", "—"),
        ("R@10", "—"),
        ("Training time", "1 h 6 min"),
        ("Spiking network", "0.51 µJ"),
    ]


def test_a_version_without_metrics_says_so(staff_client):
    html = version_page(staff_client, {})
    table = table_of(html)
    assert table.groups == ["Ranking (test split, top 10)"]
    assert table.rows == [(label, "—") for label in ("nDCG@10", "MAP@10", "P@10", "R@10")]
    assert "<details>" not in html and "stored numbers" not in html


def test_junk_in_stored_metrics_is_shown_as_missing_never_an_error():
    html = metrics_table(
        {names.NDCG_AT_10: "0.5", names.MAP_AT_10: float("nan"), names.PEAK_MB: True}
    )
    rows = dict(table_of(html).rows)
    assert rows == {"nDCG@10": "—", "MAP@10": "—", "P@10": "—", "R@10": "—"}
    assert "—" in metrics_table(None) and "<script" not in metrics_table({"<script>": 1})


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0 s"), (42.4, "42 s"), (65, "1 min 5 s"), (3599.6, "1 h 0 min"),
     (7380, "2 h 3 min")],
)  # fmt: skip
def test_compact_durations(seconds, text):
    assert compact_duration(seconds) == text
