"""The model a web process serves, swapped for a newly active version without a restart.

Each process keeps the recommender it loaded. At most every ``SPIKELENS_MODEL_CHECK_SECONDS`` a
request asks the database which version is active; when that differs, a background thread loads
the new artifact while requests keep using the old one, and the swap is a single reference
assignment. A missing or corrupt artifact is logged and the last good model stays. The same check
also looks for movies uploaded after training (indexed queries on the primary key) and embeds them
from their content, so they are recommendable at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from webapp.recommender.models import ModelVersion

if TYPE_CHECKING:
    from recsys.serving import Recommender

logger = logging.getLogger(__name__)

# A version that failed to load is retried only after this long, so a broken artifact does not
# cost every request a load attempt.
RETRY_FAILED_AFTER_SECONDS = 60.0


@dataclass
class ServedModel:
    version_id: int
    name: str
    recommender: Recommender
    loaded_at: float = field(default_factory=time.monotonic)
    # The newest movie primary key already embedded, so later checks only look at newer uploads.
    newest_movie_pk: int = 0
    # Set when this is a stand-in: the active version (named here) could not be loaded.
    standing_in_for: str | None = None


class ModelServer:
    """Holds the serving model of this process. Thread-safe; one instance per process."""

    def __init__(self, check_seconds: float | None = None) -> None:
        self._check_seconds = check_seconds
        self._served: ServedModel | None = None
        self._lock = threading.Lock()
        self._loading = False
        self._last_check = float("-inf")
        self._failed: dict[int, float] = {}

    # ------------------------------------------------------------------ request path
    def current(self) -> ServedModel | None:
        """The model to use for this request; may trigger a background check, never waits for it."""
        if time.monotonic() - self._last_check >= self._interval():
            self._last_check = time.monotonic()
            if settings.SPIKELENS_BACKGROUND_MODEL_REFRESH:
                self._start_background(self.refresh)
            else:
                self.refresh()
        return self._served

    # ------------------------------------------------------------------ loading
    def refresh(self) -> ServedModel | None:
        """Load the active version if it is not the one served, then embed new uploads.

        Runs in the background from :meth:`current`; tests and commands may call it directly.
        """
        with self._lock:
            active = (
                ModelVersion.objects.filter(is_active=True)
                .values("pk", "name", "artifact_path")
                .first()
            )
            served = self._served
            if active is None:
                if served is not None:
                    logger.info("No model version is active any more; serving popularity instead")
                self._served = None
                return None
            if served is None or served.version_id != active["pk"]:
                loaded = self._load(active)
                if loaded is None and served is None:
                    # Nothing is loaded yet (a restart met a broken artifact): serve the newest
                    # version that loads rather than popularity picks.
                    loaded = self._fallback(active)
                if loaded is not None:
                    self._served = served = loaded
            if served is not None:
                self._embed_new_movies(served)
                self._mark_fresh(served)
            return self._served

    def load_at_start(self) -> None:
        """Load the active version now, before this web process answers its first request.

        Why: the request path loads in the background, so for the seconds that took after a
        start, visitors got popularity picks ("No trained model is serving yet") although a
        model was active. Called once per web process (``webapp/wsgi.py``); a failure (the
        database not up yet) is logged and the request path tries again on its schedule.
        """
        from django.db import InterfaceError, OperationalError, connections

        try:
            self.refresh()
        except (OperationalError, InterfaceError) as error:
            # The database is down or not up yet: expected during an outage, one line is enough.
            logger.warning(
                "Could not reach the database to load the active model at start (%s); "
                "requests will retry",
                _first_line(error),
            )
        except Exception:
            logger.exception("Could not load the active model at start; requests will retry")
        else:
            self._last_check = time.monotonic()
        finally:
            connections.close_all()  # this thread's connection; request threads open their own

    def reset(self) -> None:
        """Forget the loaded model (tests, and after the registry is cleared)."""
        with self._lock:
            self._served = None
            self._failed.clear()
            self._last_check = float("-inf")

    def _load(self, active: dict) -> ServedModel | None:
        failed_at = self._failed.get(active["pk"])
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_AFTER_SECONDS:
            return None
        from recsys.serving import load_recommender

        try:
            recommender = load_recommender(Path(active["artifact_path"]))
        except Exception as exc:  # ArtifactError, OSError, and whatever a truncated file raises
            self._failed[active["pk"]] = time.monotonic()
            logger.error(
                "Could not load model version %s from %s: %s; keeping the current model",
                active["name"],
                active["artifact_path"],
                exc,
            )
            self._flag_broken(active, exc)
            return None
        logger.info("Serving model version %s", active["name"])
        return ServedModel(version_id=active["pk"], name=active["name"], recommender=recommender)

    def _fallback(self, active: dict, tries: int = 5) -> ServedModel | None:
        """The newest other version that loads, standing in for a broken active one."""
        candidates = (
            ModelVersion.objects.filter(broken_at__isnull=True)
            .exclude(pk=active["pk"])
            .order_by("-created_at", "-pk")
            .values("pk", "name", "artifact_path")[:tries]
        )
        for candidate in candidates:
            loaded = self._load(candidate)
            if loaded is not None:
                loaded.standing_in_for = active["name"]
                logger.warning(
                    "Active model version %s is broken; serving %s, the newest version that loads",
                    active["name"],
                    candidate["name"],
                )
                return loaded
        return None

    @staticmethod
    def _flag_broken(version: dict, exc: Exception) -> None:
        from webapp.recommender.registry import flag_broken

        try:
            flag_broken(version["pk"], f"{type(exc).__name__}: {exc}")
        except Exception:  # flagging is advice for the admin; serving goes on without it
            logger.exception("Could not flag model version %s as broken", version["name"])

    def _embed_new_movies(self, served: ServedModel) -> None:
        from recsys.serving import ItemContent
        from webapp.catalog.models import Movie

        new = [
            movie
            for movie in Movie.objects.filter(pk__gt=served.newest_movie_pk)
            .order_by("pk")
            .prefetch_related("genres")
            if not served.recommender.has_item(movie.pk)
        ]
        newest = Movie.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if new:
            served.recommender.add_items(
                [
                    (
                        movie.pk,
                        ItemContent(
                            title=movie.title,
                            year=movie.year,
                            genres=tuple(movie.genre_names),
                            description=movie.description,
                        ),
                    )
                    for movie in new
                ]
            )
            logger.info("Embedded %d movie(s) added after training", len(new))
        served.newest_movie_pk = newest

    @staticmethod
    def _mark_fresh(served: ServedModel) -> None:
        """Tell the model which uploads nobody has rated yet: after a retraining they are in
        its training catalogue, but still new to every visitor, and keep their fresh place in
        the picks of the people whose taste their content matches (recsys.serving.taste)."""
        from webapp.catalog.models import Movie

        served.recommender.mark_fresh(
            Movie.objects.filter(source=Movie.Source.UPLOAD, rating_count=0).values_list(
                "pk", flat=True
            )
        )

    # ------------------------------------------------------------------ helpers
    def _interval(self) -> float:
        if self._check_seconds is not None:
            return self._check_seconds
        return settings.SPIKELENS_MODEL_CHECK_SECONDS

    def _start_background(self, target) -> None:
        if self._loading:
            return
        self._loading = True

        def run() -> None:
            from django.db import InterfaceError, OperationalError, close_old_connections

            try:
                target()
            except (OperationalError, InterfaceError) as error:  # an outage: one line
                logger.warning(
                    "Model refresh could not reach the database (%s); it will retry",
                    _first_line(error),
                )
            except Exception:  # a background failure must never surface in a request
                logger.exception("Model refresh failed")
            finally:
                close_old_connections()
                self._loading = False

        threading.Thread(target=run, name="spikelens-model-refresh", daemon=True).start()


model_server = ModelServer()


def _first_line(error: Exception) -> str:
    """An error's first line for a one-line log (a database outage needs no traceback)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
