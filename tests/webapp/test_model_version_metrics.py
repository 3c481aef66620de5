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
    names.ENERGY_AC: 1234567.0,
    names.ENERGY_MAC: 2345.0,
    names.ENERGY_ACCESSES: 3456789.0,
    names.ENERGY_NJ: 12391.234,
    names.ENERGY_COMPUTE_NJ: 2391.234,
    names.ENERGY_EASE_NJ: 6789.0,
    names.ENERGY_EASE_COMPUTE_NJ: 657.0,
    names.ENERGY_BPR_NJ: 9234.0,
    names.ENERGY_BPR_COMPUTE_NJ: 1555.0,
    names.ENERGY_EASE_BPR_NJ: 16500.0,
    names.ENERGY_EASE_BPR_COMPUTE_NJ: 2300.0,
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


def table_html_of(html: str) -> str:
    return re.search(r'<table class="metrics-table">.*?</table>', html, re.S).group(0)


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
    assert rows["This model, with memory"] == (
        "12.39 µJ (2.39 µJ compute only; 1,234,567 accumulates, 2,345 multiply-accumulates, "
        "3,456,789 memory accesses)"
    )
    # The references, cheapest (the strictest comparison) first, each counted alike.
    energy = [label for label, _ in table.rows if "same counting" in label]
    assert energy == [
        "EASE, same counting",
        "BPR-MF, same counting",
        "EASE + BPR-MF, same counting",
    ]
    assert rows["EASE, same counting"] == "6.79 µJ (0.66 µJ compute only); this model 1.83×"
    assert rows["EASE + BPR-MF, same counting"] == (
        "16.50 µJ (2.30 µJ compute only); this model 0.75×"
    )
    assert "Horowitz 2014" in html and "priced alike" in html
    assert "7.2" not in table_html_of(html)
    # No raw float in the table; the full JSON is still there, folded and rounded.
    table_html = re.search(r'<table class="metrics-table">.*?</table>', html, re.S).group(0)
    assert "0.4923456789" not in table_html and "98.765" not in table_html
    assert "<details><summary>All 21 stored numbers, as JSON</summary>" in html
    assert "&quot;spike_rate/user_l1&quot;: 0.1235" in html and "0.123456789" not in html


def test_a_version_with_partial_metrics_shows_what_it_has(staff_client):
    html = version_page(
        staff_client,
        {names.NDCG_AT_10: 0.47, names.TRAIN_SECONDS: 4000.4, names.ENERGY_NJ: 512.0},
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
        ("This model, with memory", "0.51 µJ"),
    ]


def test_the_energy_references_are_ordered_by_what_they_cost():
    metrics = {names.ENERGY_NJ: 1000.0, names.ENERGY_EASE_NJ: 900.0, names.ENERGY_BPR_NJ: 300.0}
    labels = [label for label, _ in table_of(metrics_table(metrics)).rows]
    assert labels[-3:] == [
        "This model, with memory",
        "BPR-MF, same counting",
        "EASE, same counting",
    ]


def test_versions_counted_the_old_way_show_no_energy_comparison():
    """The old counts priced the same operation differently in the two networks; they stay in
    the stored JSON but are not put in the table."""
    table = table_of(metrics_table({"energy/snn_nj": 2391.0, "energy/ann_over_snn": 7.2}))
    assert "Energy per recommendation" not in table.groups


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
