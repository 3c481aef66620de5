"""Small renderings shared by the admin pages: sizes, progress, stage text, readable JSON."""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html

from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import lifecycle


def human_bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


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
