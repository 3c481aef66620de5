"""Package a fitted ranker as artifact contents (what :func:`write_artifact` stores)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from recsys.models.fitting import FittedRanker
from recsys.serving.artifact import ArtifactContents


def artifact_contents(
    fitted: FittedRanker,
    metrics: dict[str, Any],
    fingerprint: dict[str, Any],
    extra_config: dict[str, Any] | None = None,
) -> ArtifactContents:
    settings, arrays = fitted.builder.to_state()
    return ArtifactContents(
        config={
            **(extra_config or {}),
            "ranker": fitted.model.config.to_dict(),
            "features": settings,
            "n_user_inputs": fitted.builder.n_user_inputs,
            "n_item_inputs": fitted.builder.n_item_inputs,
        },
        state_dict=fitted.model.state_dict(),
        item_embeddings=fitted.item_matrix(),
        item_ids=fitted.item_map.ids,
        user_ids=fitted.user_map.ids,
        feature_arrays=arrays,
        metrics={**metrics, "history": [asdict(h) for h in fitted.history]},
        fingerprint=fingerprint,
    )
