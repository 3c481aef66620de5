"""Small renderings shared by the admin pages: sizes and the training progress bar."""

from __future__ import annotations

from django.utils.html import format_html

from webapp.recommender.models import TrainingRun


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
