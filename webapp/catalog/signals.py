"""What the catalogue announces to other apps, sent only once the change is committed.

The catalogue does not know who listens (the recommender embeds new movies; others may come):
apps connect receivers in their ``AppConfig.ready``. Sending after commit (Zulip's
``send_event_on_commit``) means a receiver never sees a movie or rating that a rollback undoes,
and a receiver that fails is logged without undoing the visitor's change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

#: A movie was added to the catalogue (an upload). Arguments: ``movie_id``.
movie_added = Signal()
#: A person's rating was created or changed. Arguments: ``user_id``, ``movie_id``, ``score``.
rating_saved = Signal()
#: A movie was put on or taken off a person's watchlist. Arguments: ``user_id``, ``movie_id``,
#: ``on_watchlist`` (True when added).
watchlist_changed = Signal()
#: A person dismissed picks ("not interested") or took dismissals back. Arguments: ``user_id``,
#: ``movie_ids`` (a frozenset), ``not_interested`` (True when dismissed, False when cleared).
interest_changed = Signal()


def send_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` after the current transaction commits (at once outside one)."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("Receiver %r of a catalogue signal failed", receiver, exc_info=result)

    transaction.on_commit(send)
