"""The JSON endpoint the training-run change list polls to move its progress bars."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from webapp.recommender.admin.display import run_duration, run_headline, run_ndcg, stage_text
from webapp.recommender.admin.forms import ProgressQueryForm
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import lifecycle


def run_progress(run: TrainingRun) -> dict:
    """What the page needs to redraw one run's row and the banner above the list.

    The cells' texts are rendered here by the same functions as the list's columns
    (admin/display.py), so a row redrawn by the poll reads exactly as after a reload.
    """
    return {
        "id": run.pk,
        "state": run.state,
        # The State column's text ("Queued", "Running"), and the row's other changing cells.
        "status": run.get_state_display(),
        "duration": run_duration(run),
        "ndcg": run_ndcg(run),
        "progress": run.progress,
        "stage": run.stage,
        "epoch": run.epoch,
        "total_epochs": run.total_epochs,
        "loss": run.loss,
        "metric_name": run.metric_name,
        "metric_value": run.metric_value,
        "message": run.message,
        "warning": lifecycle.silence_warning(run),
        # The whole line, as the change list renders it (admin/display.py).
        "text": stage_text(run),
        # The banner's words before that line.
        "headline": run_headline(run),
    }


def progress_view(request: HttpRequest) -> JsonResponse:
    """Polled by the change list to move the progress bars without reloading the page."""
    form = ProgressQueryForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.error_text()}, status=400)
    lifecycle.expire_stale_runs()
    ids = form.cleaned_data["id"]
    runs = TrainingRun.objects.filter(pk__in=ids).select_related("model_version")
    return JsonResponse({"runs": [run_progress(run) for run in runs]})
