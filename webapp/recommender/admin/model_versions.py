"""The model-version admin: metrics, promote, roll back, re-verify a restored artifact."""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from recsys.metrics.names import MAP_AT_10, NDCG_AT_10, PRECISION_AT_10, RECALL_AT_10
from recsys.serving.artifact import ArtifactError, read_training_config
from webapp.recommender import registry
from webapp.recommender.admin.display import (
    collapsed_json,
    human_bytes,
    metrics_table,
    pretty_json,
)
from webapp.recommender.admin.permissions import staff_with_permission
from webapp.recommender.models import ModelVersion

logger = logging.getLogger(__name__)


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
    actions = ["promote_selected", "rollback_to_selected", "reverify_artifacts"]
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

    exclude = ["metrics"]

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
        """Read from the artifact, its one copy; a missing or unreadable one is said here, so
        the page still shows everything the database knows about the version."""
        try:
            config = read_training_config(Path(version.artifact_path))
        except ArtifactError as exc:
            return f"The artifact's configuration could not be read: {exc}"
        return pretty_json(config)

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
        description="Re-verify the artifact's files against their checksums (clears the flag "
        "only when every file matches)",
        permissions=["change"],
    )
    def reverify_artifacts(self, request, queryset):
        """For an artifact restored from a backup, or a flag raised by a passing cause (a volume
        mounted late): the confirmation page, which posts to :meth:`reverify_view`."""
        return self._reverify_confirmation(request, list(queryset.order_by("-created_at")))

    def get_urls(self):
        # Its own URL, so people without the permission get 403, not the admin's login page.
        guard = staff_with_permission("recommender.change_modelversion")
        custom = [
            path(
                "reverify/",
                guard(self.admin_site.admin_view(self.reverify_view)),
                name="recommender_modelversion_reverify",
            )
        ]
        return custom + super().get_urls()

    def reverify_view(self, request: HttpRequest):
        """GET ``?ids=1,2``: the confirmation; POST ``ids`` and ``post=yes``: re-verify each,
        say what was found, log it, and go back to the list."""
        raw = (
            request.POST.getlist("ids") if request.method == "POST" else request.GET.getlist("ids")
        )
        ids = [int(part) for value in raw for part in value.split(",") if part.strip().isdigit()]
        versions = list(ModelVersion.objects.filter(pk__in=ids).order_by("-created_at"))
        if not versions:
            self.message_user(request, "Select at least one version.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:recommender_modelversion_changelist"))
        if request.method != "POST" or request.POST.get("post") != "yes":
            return self._reverify_confirmation(request, versions)
        for version in versions:
            self._reverify_one(request, version)
        return HttpResponseRedirect(reverse("admin:recommender_modelversion_changelist"))

    def _reverify_one(self, request: HttpRequest, version: ModelVersion) -> None:
        was_broken = version.broken_at is not None
        found = registry.reverify(version)
        if found.ok:
            cleared = "; the broken flag is cleared" if was_broken else ""
            text = (
                f"{version.name} re-verified: all {found.files} files match their checksums "
                f"and it loads{cleared}. It can be promoted."
            )
            level = messages.SUCCESS
        else:
            state = "is still broken" if was_broken else "is broken and is now flagged"
            text = f"{version.name} {state}: " + "; ".join(found.problems)
            level = messages.ERROR
        self.message_user(request, text, level)
        self.log_change(request, version, text)
        logger.log(
            logging.INFO if found.ok else logging.WARNING,
            "Model version %s re-verified by %s: %s",
            version.name,
            request.user.get_username(),
            text,
        )

    def _reverify_confirmation(self, request: HttpRequest, versions: list[ModelVersion]):
        context = {
            **self.admin_site.each_context(request),
            "title": "Re-verify the artifact?" if len(versions) == 1 else "Re-verify artifacts?",
            "versions": versions,
            "ids": ",".join(str(v.pk) for v in versions),
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/recommender/modelversion/confirm_reverify.html", context
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
