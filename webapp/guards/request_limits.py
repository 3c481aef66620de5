"""Refuse request bodies that are too large before a single byte of them is read.

Django's CSRF check reads ``request.POST`` for every POST, and parsing a multipart body writes
its files to disk; a form view that checks the size afterwards is too late. This middleware
runs first and answers 413 from the declared Content-Length alone. That is enough: Django never
reads past the declared length (``LimitedStream``), and a body sent without one (chunked) is
read as empty, so no request can make the site read more than this limit.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from webapp.catalog.posters import MAX_POSTER_MEGABYTES

logger = logging.getLogger("spikelens.refused")


def body_limit(request: HttpRequest) -> int:
    """The most bytes this request may carry: file uploads get room for one poster."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return settings.SPIKELENS_MAX_UPLOAD_REQUEST_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestBodyLimitMiddleware:
    """413 for a declared body over the limit; 400 for a Content-Length that is not a number."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isascii() or not declared.isdigit():
            logger.warning("Refused %s %s: bad Content-Length", request.method, request.path)
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        limit = body_limit(request)
        if int(declared) > limit:
            logger.warning(
                "Refused %s %s: body of %s bytes over the %s-byte limit",
                request.method,
                request.path,
                declared,
                limit,
            )
            # Rendered without the request: the body is never read and no session is touched.
            html = render_to_string(
                "413.html",
                {"limit_mb": limit / (1024 * 1024), "poster_mb": MAX_POSTER_MEGABYTES},
            )
            return HttpResponse(html, status=413)
        return self.get_response(request)
