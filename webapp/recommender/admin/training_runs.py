"""The training-run admin: retrain now, and watch runs progress."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from webapp.recommender import registry
from webapp.recommender.admin.display import (
    compact_datetime,
    human_bytes,
    pretty_json,
    progress_bar,
    run_duration,
    run_headline,
    run_ndcg,
    stage_text,
)
from webapp.recommender.admin.forms import RetrainForm
from webapp.recommender.admin.permissions import staff_with_permission
from webapp.recommender.admin.progress import progress_view
from webapp.recommender.charts import training_curve_svg
from webapp.recommender.models import TrainingMember, TrainingRun
from webapp.recommender.runs import dispatch, lifecycle


class TrainingMemberInline(admin.TabularInline):
    """Each committee member of a run whose members train in parallel: where and how far."""

    model = TrainingMember
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "index",
        "state",
        "worker",
        "epoch",
        "total_epochs",
        "loss",
        "started_at",
        "finished_at",
        "heartbeat_at",
    ]
    verbose_name = "committee member"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    inlines = [TrainingMemberInline]
    change_list_template = "admin/recommender/trainingrun/change_list.html"
    # The key columns first and few of them, in compact formats, so all fit beside the
    # navigation and the filters at 1280 px (tests/e2e/test_training_run_list.py). The stage
    # is in the banner above the list (one run is active at a time); the artifact's size,
    # trigger and exact timestamps are on each run's page. While a run is active the page
    # polls progress.py and redraws its state, progress, nDCG and duration (admin_progress.js).
    list_display = [
        "id",
        "state",
        "progress_bar",
        "ndcg",
        "promoted",
        "model_version",
        "duration",
        "created",
    ]
    list_filter = ["state", "trigger", "promoted"]
    search_fields = ["message", "stage", "celery_task_id"]
    list_select_related = ["model_version"]
    readonly_fields = [
        "state",
        "trigger",
        "options_json",
        "requested_by",
        "celery_task_id",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "progress_bar",
        "stage",
        "epoch",
        "total_epochs",
        "loss_text",
        "metric_text",
        "training_curve",
        "message",
        "model_version",
        "artifact_size",
        "promoted",
    ]
    exclude = ["history", "progress", "options", "loss", "metric_name", "metric_value"]

    def has_add_permission(self, request) -> bool:
        return False  # runs are created by "Retrain now", never by hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Progress")
    def progress_bar(self, run: TrainingRun) -> str:
        return progress_bar(run)

    @admin.display(description="Options")
    def options_json(self, run: TrainingRun) -> str:
        return pretty_json(run.options)

    @admin.display(description="Loss")
    def loss_text(self, run: TrainingRun) -> str:
        return f"{run.loss:.4f}" if run.loss is not None else "—"

    @admin.display(description="Monitored metric")
    def metric_text(self, run: TrainingRun) -> str:
        if run.metric_value is None:
            return "—"
        return f"{run.metric_name or 'metric'} {run.metric_value:.4f}"

    @admin.display(description="Duration")
    def duration(self, run: TrainingRun) -> str:
        return run_duration(run)

    @admin.display(description="Created", ordering="created_at")
    def created(self, run: TrainingRun) -> str:
        return compact_datetime(run.created_at)

    @admin.display(description="nDCG@10")
    def ndcg(self, run: TrainingRun) -> str:
        return run_ndcg(run)

    @admin.display(description="Artifact")
    def artifact_size(self, run: TrainingRun) -> str:
        return human_bytes(run.model_version.size_bytes) if run.model_version else "—"

    @admin.display(description="Training curve")
    def training_curve(self, run: TrainingRun) -> str:
        return training_curve_svg(run.history) or "—"

    # ----------------------------------------------------------------- custom views
    def get_urls(self):
        guard = staff_with_permission("recommender.add_trainingrun")
        custom = [
            path(
                "retrain/",
                guard(self.admin_site.admin_view(self.retrain_view)),
                name="recommender_trainingrun_retrain",
            ),
            path(
                "progress/",
                guard(self.admin_site.admin_view(progress_view)),
                name="recommender_trainingrun_progress",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        lifecycle.expire_stale_runs()
        current = lifecycle.current_run()
        extra = {
            "current_run": current,
            "current_run_text": stage_text(current) if current else "",
            "current_run_headline": run_headline(current) if current else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    def retrain_view(self, request: HttpRequest):
        changelist = reverse("admin:recommender_trainingrun_changelist")
        form = RetrainForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            options = lifecycle.TrainingOptions(
                epochs=form.cleaned_data["epochs"],
                mode=form.cleaned_data["mode"],
                promotion=form.cleaned_data["promotion"],
            )
            try:
                run = dispatch.request_training(options, user=request.user)
            except (lifecycle.TrainingAlreadyRunning, dispatch.TrainingNotQueued) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Training run #{run.pk} is queued; progress shows below.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "title": "Retrain the recommendation model",
            "form": form,
            "opts": self.model._meta,
            "current_run": lifecycle.current_run(),
            "active_version": registry.active_version(),
        }
        return TemplateResponse(request, "admin/recommender/trainingrun/retrain.html", context)
