"""Admin for the model registry: retrain now, watch progress, promote, roll back."""

from __future__ import annotations

import re
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from webapp.recommender import dispatch, registry, training_runs
from webapp.recommender.charts import training_curve_svg
from webapp.recommender.models import ModelVersion, TrainingRun


def staff_with_permission(permission: str):
    """Logged-in people without the permission get 403 (not the admin's login redirect)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.user.is_authenticated and not (
                request.user.is_active
                and request.user.is_staff
                and request.user.has_perm(permission)
            ):
                raise PermissionDenied("Only staff with the training permission can do this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RetrainForm(forms.Form):
    epochs = forms.IntegerField(
        min_value=1,
        max_value=500,
        required=False,
        help_text="Leave empty for the configured default.",
    )
    mode = forms.ChoiceField(
        choices=[
            ("local", "Layer-local learning (default)"),
            ("bptt", "End-to-end BPTT (baseline)"),
        ],
        initial="local",
    )
    promotion = forms.ChoiceField(
        choices=[
            ("gate", "Promote automatically if nDCG@10 passes the gate"),
            ("always", "Always promote"),
            ("never", "Do not promote (I will decide)"),
        ],
        initial="gate",
        widget=forms.RadioSelect,
    )


class RunIdsField(forms.Field):
    """Run ids as ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` then rejects."""

    pattern = re.compile(r"[0-9]{1,18}")
    default_error_messages = {
        "invalid": "Run ids are whole numbers; “%(value)s” is not one.",
        "too_many": "Ask for at most %(limit)d runs at a time.",
    }
    limit = 50

    def to_python(self, value) -> list[int]:
        values = value or []
        if len(values) > self.limit:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.limit}
            )
        for item in values:
            if not self.pattern.fullmatch(item):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item[:20]}
                )
        return [int(item) for item in values]


class RunIdsWidget(forms.Widget):
    def value_from_datadict(self, data, files, name):
        return data.getlist(name)


class ProgressQueryForm(forms.Form):
    """The progress endpoint's query string: ``?id=1&id=2`` (none is a valid, empty question)."""

    id = RunIdsField(required=False, widget=RunIdsWidget)

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


def _bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def _progress_bar(run: TrainingRun) -> str:
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


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    change_list_template = "admin/recommender/trainingrun/change_list.html"
    list_display = [
        "id",
        "state",
        "progress_bar",
        "stage_text",
        "duration",
        "model_version",
        "ndcg",
        "artifact_size",
        "promoted",
        "trigger",
        "created_at",
    ]
    list_filter = ["state", "trigger", "promoted"]
    search_fields = ["message", "stage", "celery_task_id"]
    list_select_related = ["model_version"]
    readonly_fields = [
        "state",
        "trigger",
        "options",
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
        "loss",
        "metric_name",
        "metric_value",
        "training_curve",
        "message",
        "model_version",
        "promoted",
    ]
    exclude = ["history", "progress"]

    def has_add_permission(self, request) -> bool:
        return False  # runs are created by "Retrain now", never by hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Progress")
    def progress_bar(self, run: TrainingRun) -> str:
        return _progress_bar(run)

    @admin.display(description="Stage")
    def stage_text(self, run: TrainingRun) -> str:
        text = run.stage
        if run.total_epochs:
            text += f" (epoch {run.epoch}/{run.total_epochs})"
        warning = training_runs.silence_warning(run)
        if warning:  # the same text the progress poll writes, so the two never disagree
            text += f" — {warning}"
        return format_html('<span class="training-stage" data-run="{}">{}</span>', run.pk, text)

    @admin.display(description="Duration")
    def duration(self, run: TrainingRun) -> str:
        seconds = run.duration_seconds
        if seconds is None:
            return "—"
        minutes, seconds = divmod(int(seconds), 60)
        return f"{minutes}m {seconds:02d}s"

    @admin.display(description="nDCG@10")
    def ndcg(self, run: TrainingRun) -> str:
        if run.model_version and run.model_version.ndcg is not None:
            return f"{run.model_version.ndcg:.4f}"
        if run.metric_value is not None:
            return f"{run.metric_value:.4f} ({run.metric_name})"
        return "—"

    @admin.display(description="Artifact")
    def artifact_size(self, run: TrainingRun) -> str:
        return _bytes(run.model_version.size_bytes) if run.model_version else "—"

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
                guard(self.admin_site.admin_view(self.progress_view)),
                name="recommender_trainingrun_progress",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        training_runs.expire_stale_runs()
        current = training_runs.current_run()
        extra = {
            "current_run": current,
            "current_run_warning": training_runs.silence_warning(current) if current else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    def retrain_view(self, request: HttpRequest):
        changelist = reverse("admin:recommender_trainingrun_changelist")
        form = RetrainForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            options = training_runs.TrainingOptions(
                epochs=form.cleaned_data["epochs"],
                mode=form.cleaned_data["mode"],
                promotion=form.cleaned_data["promotion"],
            )
            try:
                run = dispatch.request_training(options, user=request.user)
            except (training_runs.TrainingAlreadyRunning, dispatch.TrainingNotQueued) as exc:
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
            "current_run": training_runs.current_run(),
            "active_version": registry.active_version(),
        }
        return TemplateResponse(request, "admin/recommender/trainingrun/retrain.html", context)

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        """Polled by the change list to move the progress bars without reloading the page."""
        form = ProgressQueryForm(request.GET)
        if not form.is_valid():
            return JsonResponse({"error": form.error_text()}, status=400)
        training_runs.expire_stale_runs()
        ids = form.cleaned_data["id"]
        runs = TrainingRun.objects.filter(pk__in=ids) if ids else TrainingRun.objects.none()
        return JsonResponse(
            {
                "runs": [
                    {
                        "id": run.pk,
                        "state": run.state,
                        "progress": run.progress,
                        "stage": run.stage,
                        "epoch": run.epoch,
                        "total_epochs": run.total_epochs,
                        "loss": run.loss,
                        "metric_name": run.metric_name,
                        "metric_value": run.metric_value,
                        "message": run.message,
                        "warning": training_runs.silence_warning(run),
                    }
                    for run in runs
                ]
            }
        )


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "model_kind",
        "metric_ndcg",
        "metric_map",
        "metric_precision",
        "metric_recall",
        "size",
        "created_at",
        "is_active",
        "health",
    ]
    list_filter = ["is_active", "model_kind", ("broken_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "artifact_path", "data_fingerprint"]
    actions = ["promote_selected", "rollback_to_selected", "recheck_broken"]
    readonly_fields = [
        "name",
        "artifact_path",
        "model_kind",
        "energy_per_recommendation",
        "metrics",
        "config",
        "data_fingerprint",
        "size_bytes",
        "created_at",
        "promoted_at",
        "is_active",
        "broken_at",
        "broken_reason",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from training runs

    @admin.display(description="Artifact health")
    def health(self, version: ModelVersion) -> str:
        if version.broken_at is None:
            return "ok"
        note = " — the site serves the newest loadable version instead" if version.is_active else ""
        return format_html(
            '<strong class="errornote">Broken since {}: {}</strong>{}',
            f"{version.broken_at:%Y-%m-%d %H:%M}",
            version.broken_reason,
            note,
        )

    @admin.display(description="nDCG@10")
    def metric_ndcg(self, version: ModelVersion) -> str:
        return self._metric(version, "ndcg@10")

    @admin.display(description="MAP@10")
    def metric_map(self, version: ModelVersion) -> str:
        return self._metric(version, "map@10")

    @admin.display(description="P@10")
    def metric_precision(self, version: ModelVersion) -> str:
        return self._metric(version, "precision@10")

    @admin.display(description="R@10")
    def metric_recall(self, version: ModelVersion) -> str:
        return self._metric(version, "recall@10")

    @admin.display(description="Energy per recommendation")
    def energy_per_recommendation(self, version: ModelVersion) -> str:
        """The 45 nm estimate from the actual spike counts (recsys.models.energy)."""
        metrics = version.metrics
        if not isinstance(metrics.get("energy/snn_nj"), int | float):
            return "— (not measured for this version)"
        return (
            f"spiking network {metrics['energy/snn_nj'] / 1000:.2f} µJ "
            f"({metrics['energy/snn_ac']:,.0f} accumulates, {metrics['energy/snn_mac']:,.0f} "
            f"multiply-accumulates); the same network as an ANN "
            f"{metrics['energy/ann_nj'] / 1000:.2f} µJ ({metrics['energy/ann_over_snn']:.1f}× more), "
            f"{metrics['energy/ann_sparse_input_nj'] / 1000:.2f} µJ if it skipped zero inputs; "
            f"EASE scoring {metrics['energy/ease_nj'] / 1000:.2f} µJ, BPR scoring "
            f"{metrics['energy/bpr_nj'] / 1000:.2f} µJ. 0.9 pJ per accumulate, 4.6 pJ per "
            "multiply-accumulate (Horowitz 2014)."
        )

    @admin.display(description="Size")
    def size(self, version: ModelVersion) -> str:
        return _bytes(version.size_bytes)

    @staticmethod
    def _metric(version: ModelVersion, key: str) -> str:
        value = version.metrics.get(key)
        return f"{value:.4f}" if isinstance(value, int | float) else "—"

    # ----------------------------------------------------------------- actions
    @admin.action(
        description="Promote the selected version to serve the site", permissions=["change"]
    )
    def promote_selected(self, request, queryset):
        return self._confirm_and_promote(request, queryset, verb="promote")

    @admin.action(description="Roll back to the selected (earlier) version", permissions=["change"])
    def rollback_to_selected(self, request, queryset):
        return self._confirm_and_promote(request, queryset, verb="rollback")

    @admin.action(
        description="Check a broken version's artifact again (clears the flag if it loads)",
        permissions=["change"],
    )
    def recheck_broken(self, request, queryset):
        """For a flag raised by a passing cause (a volume not mounted yet): load it again."""
        for version in queryset.exclude(broken_at=None):
            try:
                registry.validate_artifact(version.artifact_path)
            except registry.PromotionError as exc:
                self.message_user(request, f"{version.name} is still broken: {exc}", messages.ERROR)
            else:
                ModelVersion.objects.filter(pk=version.pk).update(broken_at=None, broken_reason="")
                self.message_user(
                    request, f"{version.name} loads again; the flag is cleared.", messages.SUCCESS
                )

    def _confirm_and_promote(self, request, queryset, verb: str):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return None
        version = queryset.get()
        active = registry.active_version()
        if version.is_active:
            self.message_user(request, f"{version.name} is already serving.", messages.WARNING)
            return None
        if verb == "rollback" and active is not None and version.created_at > active.created_at:
            self.message_user(
                request,
                f"{version.name} is newer than the active version; use “promote” instead.",
                messages.ERROR,
            )
            return None
        if request.POST.get("post") == "yes":
            try:
                registry.promote(version)
            except registry.PromotionError as exc:
                self.message_user(request, f"Refused: {exc}", messages.ERROR)
            else:
                done = "Rolled back to" if verb == "rollback" else "Promoted"
                self.message_user(
                    request,
                    f"{done} {version.name}; web processes switch within seconds.",
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Roll back?" if verb == "rollback" else "Promote?",
            "verb": verb,
            "version": version,
            "active": active,
            "opts": self.model._meta,
            "action": request.POST.get("action"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/recommender/modelversion/confirm_promotion.html", context
        )
