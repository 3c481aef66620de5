"""Whether the site's recommender can already recommend a movie, asked of whichever app serves it.

The upload page promises "can be recommended right away" only when that is true: a recommender
app registers a check in its ``AppConfig.ready`` (:func:`register_recommendable_check`), so the
catalogue never imports it. With no check registered, or while no model is serving, the answer
is no and the page says when the movie will be recommended instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: ``check(movie_id)`` → True when the served model scores that movie now.
RecommendableCheck = Callable[[int], bool]
_checks: list[RecommendableCheck] = []


def register_recommendable_check(check: RecommendableCheck) -> None:
    """Ask ``check`` whether a movie is recommendable; registering it twice is a no-op."""
    if check not in _checks:
        _checks.append(check)


def can_be_recommended(movie_id: int) -> bool:
    """True when a registered check says the served model already scores ``movie_id``."""
    for check in _checks:
        try:
            if check(movie_id):
                return True
        except Exception:  # the upload is saved; only the message depends on this
            logger.exception("Recommendable check %r failed", check)
    return False
