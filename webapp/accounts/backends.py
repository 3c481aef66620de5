"""Login throttling by django-axes, applied to logins made over HTTP."""

from __future__ import annotations

import os

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when ``authenticate`` is called without a request.

    Why: axes refuses such calls outright, but they come from our own code (tests, the shell,
    management commands), never from a visitor, so there is nothing to throttle.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The address logins are throttled by: REMOTE_ADDR, or the proxy's header when configured.

    ``SPIKELENS_CLIENT_IP_HEADER`` (e.g. ``HTTP_X_FORWARDED_FOR``) is read only when set, and
    then its last address (the one the trusted proxy appended) is used, so a client cannot pick
    a fresh address per attempt by sending the header itself.
    """
    header = os.environ.get("SPIKELENS_CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR")
