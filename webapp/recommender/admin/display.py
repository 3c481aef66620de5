"""Small renderings shared by the admin pages: sizes, durations, progress, stage text, metrics,
readable JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from recsys.metrics import names
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import lifecycle


def human_bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def compact_duration(seconds: float | None) -> str:
    """A duration in the fewest words that stay exact enough: "42 s", "1 min 5 s", "2 h 3 min"."""
    if seconds is None:
        return "—"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def compact_datetime(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """A time in the site's zone as a list shows it: "6 Dec 10:02" this year, "6 Dec 2025"
    for an older one (the full timestamp is on the record's own page)."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    this_year = timezone.localtime(now or timezone.now()).year
    return format_date(local, "j M H:i" if local.year == this_year else "j M Y")


def run_duration(run: TrainingRun) -> str:
    """How long a run has taken so far (running) or took (finished); "—" before it starts."""
    return compact_duration(run.duration_seconds)


def run_headline(run: TrainingRun) -> str:
    """The banner's words before the stage: "Training run #4 is running"."""
    return f"Training run #{run.pk} is {run.get_state_display().lower()}"


def run_ndcg(run: TrainingRun) -> str:
    """The run's nDCG@10: its version's test score, else the monitored metric while training
    (its name added only when the run monitors something other than nDCG@10)."""
    if run.model_version and run.model_version.ndcg is not None:
        return f"{run.model_version.ndcg:.4f}"
    if run.metric_value is not None:
        named = run.metric_name and run.metric_name != names.NDCG_AT_10
        return f"{run.metric_value:.4f}" + (f" ({run.metric_name})" if named else "")
    return "—"


def progress_bar(run: TrainingRun) -> str:
    percent = round(100 * run.progress)
    return format_html(
        '<progress class="training-progress" data-run="{}" data-state="{}" max="100" value="{}" '
        'aria-label="Training progress">{}%</progress> <span class="training-percent" data-run="{}">{}%</span>',
        run.pk,
        run.state,
        percent,
        percent,
        run.pk,
        percent,
    )


def stage_text(run: TrainingRun) -> str:
    """What a run is doing, in one line; never an empty stage ("queued: .").

    The change list, its banner and the polled progress all show this text, so they agree.
    """
    if run.state == TrainingRun.State.QUEUED:
        text = "waiting for a worker to start it"
    elif run.state == TrainingRun.State.RUNNING:
        text = run.stage or "starting"
        if run.total_epochs:
            text += f" (epoch {run.epoch}/{run.total_epochs})"
        if run.loss is not None:
            text += f", loss {run.loss:.4f}"
        if run.metric_value is not None:
            text += f", {run.metric_name or 'metric'} {run.metric_value:.4f}"
    else:
        text = run.get_state_display().lower()
    warning = lifecycle.silence_warning(run)
    return f"{text} — {warning}" if warning else text


def rounded(value: Any, digits: int = 4) -> Any:
    """``value`` with every float rounded to ``digits`` decimals, however deeply nested."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


def pretty_json(value: Any) -> str:
    """A JSON field for people: indented, keys sorted, floats rounded, in a <pre> block."""
    if value in (None, {}, []):
        return "—"
    text = json.dumps(rounded(value), indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre class="readable-json">{}</pre>', text)


# ----------------------------------------------------------------- a model version's metrics
def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None for anything else (missing, text, a flag, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _score(value: float) -> str:
    return f"{value:.4f}"


def _microjoules(nanojoules: float) -> str:
    return f"{nanojoules / 1000:.2f} µJ"


@dataclass(frozen=True)
class MetricRow:
    """One row of the metrics table: the stored key, what people call it, how to print it."""

    key: str
    label: str
    render: Callable[[float, dict[str, Any]], str]


@dataclass(frozen=True)
class MetricGroup:
    title: str
    rows: tuple[MetricRow, ...]
    # Shown with "—" for missing values even when none is stored (the ranking scores: an
    # empty row says the version was never evaluated); other groups only when measured.
    always: bool = False
    note: str = ""
    #: Rows from this index on are shown in ascending order of their values (the strictest
    #: comparison first); -1 keeps the declared order.
    ranked_from: int = -1


def _with_operations(value: float, metrics: dict[str, Any]) -> str:
    """This model's energy with memory, then compute only and the counts behind it."""
    text = _microjoules(value)
    compute = _number(metrics.get(names.ENERGY_COMPUTE_NJ))
    if compute is not None:
        text += f" ({_microjoules(compute)} compute only"
        counts = [_number(metrics.get(k)) for k in (names.ENERGY_AC, names.ENERGY_MAC)]
        accesses = _number(metrics.get(names.ENERGY_ACCESSES))
        if None not in counts and accesses is not None:
            text += (
                f"; {counts[0]:,.0f} accumulates, {counts[1]:,.0f} multiply-accumulates, "
                f"{accesses:,.0f} memory accesses"
            )
        text += ")"
    return text


def _against(compute_key: str) -> Callable[[float, dict[str, Any]], str]:
    """A reference model's energy with memory, compute only, and this model's over it."""

    def render(value: float, metrics: dict[str, Any]) -> str:
        text = _microjoules(value)
        compute = _number(metrics.get(compute_key))
        if compute is not None:
            text += f" ({_microjoules(compute)} compute only)"
        own = _number(metrics.get(names.ENERGY_NJ))
        if own is not None and value > 0:
            text += f"; this model {own / value:.2f}×"
        return text

    return render


METRIC_GROUPS: tuple[MetricGroup, ...] = (
    MetricGroup(
        "Ranking (test split, top 10)",
        (
            MetricRow(names.NDCG_AT_10, "nDCG@10", lambda v, m: _score(v)),
            MetricRow(names.MAP_AT_10, "MAP@10", lambda v, m: _score(v)),
            MetricRow(names.PRECISION_AT_10, "P@10", lambda v, m: _score(v)),
            MetricRow(names.RECALL_AT_10, "R@10", lambda v, m: _score(v)),
        ),
        always=True,
    ),
    MetricGroup(
        "Training",
        (
            MetricRow(names.TRAIN_SECONDS, "Training time", lambda v, m: compact_duration(v)),
            MetricRow(names.PEAK_MB, "Peak memory", lambda v, m: f"{v:,.0f} MB"),
        ),
    ),
    MetricGroup(
        "Predicted match (calibration)",
        (
            MetricRow(
                names.MATCH_CALIBRATION_RATINGS,
                "Held-out ratings it was fitted on",
                lambda v, m: f"{v:,.0f}",
            ),
            MetricRow(
                names.MATCH_TEST_CALIBRATION_ERROR,
                "Calibration error, out of fold (0 is perfect)",
                lambda v, m: f"{v:.3f}",
            ),
            MetricRow(
                names.MATCH_TEST_BRIER_SKILL,
                "Brier skill over the base rate, out of fold",
                lambda v, m: f"{v:+.3f}",
            ),
            MetricRow(
                names.MATCH_TEST_AUC,
                "Separation of liked from not liked (AUC, 0.5 = none), out of fold",
                lambda v, m: f"{v:.3f}",
            ),
        ),
    ),
    MetricGroup(
        "Energy per recommendation",
        (
            MetricRow(names.ENERGY_NJ, "This model, with memory", _with_operations),
            *(
                MetricRow(total, f"{label}, same counting", _against(compute))
                for label, (total, compute) in zip(
                    ("EASE", "BPR-MF", "EASE + BPR-MF"),
                    names.ENERGY_REFERENCES.values(),
                    strict=True,
                )
            ),
        ),
        note="45 nm estimate, every model priced alike (Horowitz 2014): 0.9 pJ per add "
        "(a binary input or spike gathering a weight), 4.6 pJ per multiply-add (a real value "
        "meeting a weight), 5 pJ per 32-bit memory access (8 KB SRAM; larger memories cost "
        "more). Cheapest reference first. Against the same network as a trained ANN (ReLU), "
        "see docs/benchmarks.md.",
        ranked_from=1,
    ),
)


def metrics_table(metrics: Any) -> str:
    """A model version's key metrics as a table, rounded for reading; "—" where missing."""
    metrics = metrics if isinstance(metrics, dict) else {}
    body = []
    for group in METRIC_GROUPS:
        present = [row for row in group.rows if _number(metrics.get(row.key)) is not None]
        if not present and not group.always:
            continue
        body.append(format_html('<tr><th colspan="2" scope="colgroup">{}</th></tr>', group.title))
        shown_rows = list(group.rows if group.always else present)
        if group.ranked_from >= 0:
            fixed = group.rows[: group.ranked_from]
            head = [row for row in shown_rows if row in fixed]
            ranked = [row for row in shown_rows if row not in fixed]
            ranked.sort(key=lambda row: _number(metrics.get(row.key)) or math.inf)
            shown_rows = head + ranked
        for row in shown_rows:
            value = _number(metrics.get(row.key))
            shown = row.render(value, metrics) if value is not None else "—"
            body.append(
                format_html('<tr><th scope="row">{}</th><td>{}</td></tr>', row.label, shown)
            )
        if group.note:
            body.append(
                format_html('<tr><td colspan="2" class="metrics-note">{}</td></tr>', group.note)
            )
    return format_html(
        '<table class="metrics-table"><tbody>{}</tbody></table>', mark_safe("".join(body))
    )


def collapsed_json(value: Any, summary: str) -> str:
    """``pretty_json`` folded into a <details> that opens on a click."""
    if value in (None, {}, []):
        return "—"
    return format_html("<details><summary>{}</summary>{}</details>", summary, pretty_json(value))
