"""Undo for a removed rating: what was removed waits in the person's session for a while.

Removing a rating deletes it at once (the movie's averages and the person's picks change), and
the removed score, review and date are kept in the session so the movie page can offer "Undo".
Each removal gets a random token that the Undo button posts back, so a stale page cannot undo a
different, later removal. Nothing here touches the database; ``services.restore_rating`` does.

A dismissed pick ("not interested") is undone by deleting its row, so for it the session only
remembers which movie the next page of picks should offer the Undo button for.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from webapp.catalog.models import Rating

SESSION_KEY = "catalog:removed-ratings"
# How long after removing a rating it can still be put back.
UNDO_WINDOW = dt.timedelta(minutes=15)
# Removals remembered at once per session (the oldest are forgotten first).
MAX_REMEMBERED = 5


@dataclass(frozen=True)
class RemovedRating:
    movie_id: int
    score: int
    review: str
    rated_at: dt.datetime
    removed_at: dt.datetime
    token: str

    def summary(self, title: str) -> str:
        """ "Your 4-star rating and review of Fargo were removed." """
        if self.review:
            return f"Your {self.score}-star rating and review of {title} were removed."
        return f"Your {self.score}-star rating of {title} was removed."

    @property
    def expired(self) -> bool:
        return timezone.now() - self.removed_at > UNDO_WINDOW

    def to_session(self) -> dict:
        data = asdict(self)
        data["rated_at"] = self.rated_at.isoformat()
        data["removed_at"] = self.removed_at.isoformat()
        return data

    @classmethod
    def from_session(cls, data: dict) -> RemovedRating | None:
        """None for anything malformed: the session is ours, but a bad entry must not crash."""
        try:
            return cls(
                movie_id=int(data["movie_id"]),
                score=int(data["score"]),
                review=str(data["review"]),
                rated_at=dt.datetime.fromisoformat(data["rated_at"]),
                removed_at=dt.datetime.fromisoformat(data["removed_at"]),
                token=str(data["token"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def remember_removal(session: SessionBase, rating: Rating) -> RemovedRating:
    """Keep what ``rating`` held so that it can be restored; replaces an older removal of it."""
    removed = RemovedRating(
        movie_id=rating.movie_id,
        score=rating.score,
        review=rating.review,
        rated_at=rating.rated_at,
        removed_at=timezone.now(),
        token=secrets.token_urlsafe(16),
    )
    kept = [entry for entry in _entries(session) if entry.movie_id != removed.movie_id]
    kept = [*kept, removed][-MAX_REMEMBERED:]
    session[SESSION_KEY] = [entry.to_session() for entry in kept]
    return removed


def pending_removal(session: SessionBase, movie_id: int) -> RemovedRating | None:
    """The removal of this movie's rating that can still be undone, if any."""
    return next((entry for entry in _entries(session) if entry.movie_id == movie_id), None)


def pending_removals(session: SessionBase) -> list[RemovedRating]:
    """Every removal that can still be undone, the latest first ("My ratings" lists them)."""
    return list(reversed(_entries(session)))


def take_removal(session: SessionBase, movie_id: int, token: str) -> RemovedRating | None:
    """The pending removal matching ``token``, forgotten as it is handed out (undo works once)."""
    removed = pending_removal(session, movie_id)
    if removed is None or not secrets.compare_digest(removed.token.encode(), token.encode()):
        return None
    forget_removal(session, movie_id)
    return removed


def forget_removal(session: SessionBase, movie_id: int) -> None:
    session[SESSION_KEY] = [
        entry.to_session() for entry in _entries(session) if entry.movie_id != movie_id
    ]


def _entries(session: SessionBase) -> list[RemovedRating]:
    """Unexpired, well-formed removals, oldest first."""
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, list):
        return []
    entries = (RemovedRating.from_session(item) for item in raw if isinstance(item, dict))
    return [entry for entry in entries if entry is not None and not entry.expired]


# ---------------------------------------------------------------------------- dismissed picks
# "Not interested" writes a row; undoing it deletes the row (``services.clear_not_interested``),
# so nothing needs keeping but which movie to offer the Undo button for, on the next page of
# picks only. The offer is one-shot: shown once, then forgotten; a stale one is dropped.
DISMISSAL_KEY = "catalog:dismissed-pick"
DISMISSAL_OFFER_WINDOW = dt.timedelta(minutes=5)


def offer_dismissal_undo(session: SessionBase, movie_id: int) -> None:
    """Let the next page of picks say "… won't be picked again. [Undo]" for this movie."""
    session[DISMISSAL_KEY] = {"movie_id": int(movie_id), "at": timezone.now().isoformat()}


def take_dismissal_offer(session: SessionBase) -> int | None:
    """The movie whose dismissal the page should offer to undo (once), if any is fresh."""
    raw = session.pop(DISMISSAL_KEY, None) if DISMISSAL_KEY in session else None
    try:
        at = dt.datetime.fromisoformat(raw["at"])
        movie_id = int(raw["movie_id"])
    except (KeyError, TypeError, ValueError):
        return None
    if at.tzinfo is None or timezone.now() - at > DISMISSAL_OFFER_WINDOW:
        return None
    return movie_id
