"""A database that cannot be reached gives a 503 page with Retry-After, not a 500.

During a restart or failover every query fails for a few seconds; a visitor should read "back in
a moment" and a load balancer or crawler should see a retryable status. Two entry points: the
middleware catches errors raised inside views, and ``server_error`` (handler500) catches those
raised anywhere else (a session saved after the view, a middleware's own query).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("spikelens.outage")

OUTAGE_ERRORS = (OperationalError, InterfaceError)


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 page; rendered without the request, since anything request-bound may query."""
    logger.warning(
        "Database unavailable for %s %s: %s",
        request.method,
        request.path,
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    html = loader.get_template("503.html").render({})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(settings.SPIKELENS_OUTAGE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUTAGE_ERRORS):
            return outage_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the outage page when the error being handled is the database's."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OUTAGE_ERRORS):
        return outage_response(request, exc)
    try:
        return django_server_error(request)
    except Exception:  # the 500 page itself must never fail
        return HttpResponseServerError("Server error", content_type="text/plain")
