"""The model-version admin: metrics, promote, roll back, recheck a broken artifact."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.html import format_html

from recsys.metrics.names import MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10
from webapp.recommender import registry
from webapp.recommender.admin.display import (
    collapsed_json,
    human_bytes,
    metrics_table,
    pretty_json,
)
from webapp.recommender.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    # The key columns first (serving?, nDCG, when promoted), so they show at 1280 px.
    list_display = [
        "name",
        "is_active",
        "metric_ndcg",
        "promoted_at",
        "health",
        "metric_map",
        "metric_precision",
        "metric_recall",
        "model_kind",
        "size",
        "created_at",
    ]
    list_filter = ["is_active", "model_kind", ("broken_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "artifact_path", "data_fingerprint"]
    actions = ["promote_selected", "rollback_to_selected", "recheck_broken"]
    readonly_fields = [
        "name",
        "artifact_path",
        "model_kind",
        # The key metrics as a table (energy included); every stored number below it, folded.
        "key_metrics",
        "metrics_json",
        "config_json",
        "data_fingerprint",
        "size_bytes",
        "created_at",
        "promoted_at",
        "is_active",
        "broken_at",
        "broken_reason",
    ]

    exclude = ["metrics", "config"]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from training runs

    @admin.display(description="Key metrics")
    def key_metrics(self, version: ModelVersion) -> str:
        return metrics_table(version.metrics)

    @admin.display(description="All metrics")
    def metrics_json(self, version: ModelVersion) -> str:
        count = len(version.metrics) if isinstance(version.metrics, dict) else 0
        return collapsed_json(version.metrics, f"All {count} stored numbers, as JSON")

    @admin.display(description="Configuration")
    def config_json(self, version: ModelVersion) -> str:
        return pretty_json(version.config)

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
        return self._metric(version, NDCG_AT_10)

    @admin.display(description="MAP@10")
    def metric_map(self, version: ModelVersion) -> str:
        return self._metric(version, MAP_AT_10)

    @admin.display(description="P@10")
    def metric_precision(self, version: ModelVersion) -> str:
        return self._metric(version, PRECISION_AT_10)

    @admin.display(description="R@10")
    def metric_recall(self, version: ModelVersion) -> str:
        return self._metric(version, RECALL_AT_10)

    @admin.display(description="Size")
    def size(self, version: ModelVersion) -> str:
        return human_bytes(version.size_bytes)

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
