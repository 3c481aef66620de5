"""What visitors are told while the recommender learns its first model.

On a fresh site the first model trains in the background for minutes while the home page shows
popular movies. The page says so, with the training run's progress (the same fields the admin's
progress bar reads), and picks switch to the model by themselves once it is promoted. Nothing
is asked of the database once this process serves a model; until then the answer is cached for
a few seconds per process, so the banner costs the home page at most two small queries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.serving import model_server

CACHE_KEY = "recommender:learning-status:v1"
CACHE_SECONDS = 3

# The pipeline's stage names, as a visitor would say them.
STAGE_WORDS = {
    "starting": "starting",
    "reading the database": "reading members' ratings",
    "split": "preparing the data",
    "train": "learning",
    "features": "preparing the data",
    "evaluate": "checking how well it ranks",
    "artifact": "saving the model",
    "done": "almost done",
}


@dataclass(frozen=True)
class LearningStatus:
    """A training run seen from the home page: how far it is, in words a visitor reads."""

    percent: int
    text: str


def describe(run: TrainingRun) -> LearningStatus:
    if run.state == TrainingRun.State.QUEUED:
        return LearningStatus(
            percent=0,
            text=(
                "SpikeLens's recommender is about to start learning from members' ratings. "
                "Until it is ready you see popular movies; your picks switch to it by themselves."
            ),
        )
    percent = round(100 * run.progress)
    if run.total_epochs and run.epoch:
        where = f"round {run.epoch} of {run.total_epochs}"
    else:
        where = STAGE_WORDS.get(run.stage, "working")
    return LearningStatus(
        percent=percent,
        text=(
            f"SpikeLens's recommender is learning from members' ratings: {percent}% done "
            f"({where}). Until it is ready you see popular movies; your picks switch to it "
            "by themselves."
        ),
    )


def learning_status() -> LearningStatus | None:
    """The status to show, or None when a model serves (or nothing is training)."""
    if model_server.current() is not None:
        return None
    found = cache.get(CACHE_KEY)
    if found is not None:
        return found[0]
    status = None
    if not ModelVersion.objects.filter(is_active=True).exists():
        run = TrainingRun.objects.filter(state__in=TrainingRun.ACTIVE_STATES).first()
        status = describe(run) if run is not None else None
    cache.set(CACHE_KEY, (status,), CACHE_SECONDS)
    return status


@require_safe
def learning_progress(request: HttpRequest) -> JsonResponse:
    """Polled by the home page's banner: moves its bar, and tells it when the model is ready."""
    status = learning_status()
    body = {"learning": False} if status is None else {"learning": True, **asdict(status)}
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response
