"""Cached HTML fragments that still carry a valid CSRF token.

Rendering a dozen movie cards with their star forms is most of a page's cost, yet for one person
the cards only change when their picks do. Fragments are therefore rendered once with a
placeholder where the CSRF token goes, cached, and the visitor's own token is put in on the way
out, so a cached fragment is never shared across sessions with a stale or foreign token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

CSRF_PLACEHOLDER = "__spikelens_csrf_token__"


def fragment_key(*parts: object) -> str:
    """A short cache key for everything a fragment's HTML depends on."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"fragment:v1:{digest}"


def cached_fragment(
    request: HttpRequest, key: str, render: Callable[[str], str], ttl_seconds: int
) -> SafeString:
    """The fragment under ``key``, rendering it with ``render(CSRF_PLACEHOLDER)`` on a miss."""
    html = cache.get(key)
    if html is None:
        html = render(CSRF_PLACEHOLDER)
        cache.set(key, html, ttl_seconds)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    # The fragment was rendered by our own templates, with autoescaping on.
    return mark_safe(html)  # noqa: S308
