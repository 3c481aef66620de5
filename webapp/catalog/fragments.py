"""Cached HTML fragments that still carry a valid CSRF token.

Rendering a dozen movie cards with their star forms is most of a page's cost, yet for one person
the cards only change when their picks do. Fragments are therefore rendered once with a
random placeholder where the CSRF token goes, cached with that placeholder, and the visitor's own
token is put in on the way out, so a cached fragment is never shared across sessions with a stale
or foreign token, and no text in the fragment can pose as the placeholder.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe


def fragment_key(*parts: object) -> str:
    """A short cache key for everything a fragment's HTML depends on."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"fragment:v2:{digest}"


def new_placeholder() -> str:
    """A CSRF placeholder no one can write in advance.

    Why random per rendering: a fixed placeholder could be typed into a movie title or review,
    which the fragment shows, and every visitor's token would be pasted there too. A fresh
    random marker, stored with the fragment, appears nowhere else in it.
    """
    return f"csrf-{secrets.token_hex(16)}"


def cached_fragment(
    request: HttpRequest, key: str, render: Callable[[str], str], ttl_seconds: int
) -> SafeString:
    """The fragment under ``key``, rendering it with ``render(placeholder)`` on a miss."""
    cached = cache.get(key)
    if not (isinstance(cached, tuple) and len(cached) == 2):
        placeholder = new_placeholder()
        cached = (placeholder, render(placeholder))
        cache.set(key, cached, ttl_seconds)
    placeholder, html = cached
    if placeholder in html:
        html = html.replace(placeholder, get_token(request))
    # The fragment was rendered by our own templates, with autoescaping on.
    return mark_safe(html)
