"""Who may use the training views: a 403 for logged-in people without the permission."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def staff_with_permission(permission: str):
    """Logged-in people without the permission get 403 (not the admin's login redirect)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.user.is_authenticated and not (
                request.user.is_active
                and request.user.is_staff
                and request.user.has_perm(permission)
            ):
                raise PermissionDenied("Only staff with the training permission can do this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
