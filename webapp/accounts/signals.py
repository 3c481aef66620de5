"""Reactions to authentication events that belong to the accounts app."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

LOGGED_OUT_MESSAGE = "You are logged out. See you soon!"


@receiver(user_logged_out, dispatch_uid="accounts.say_goodbye")
def say_goodbye(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Tell the person their logout worked; without it the page just changes header silently.

    Sent before the session is flushed; the message storage writes on the response, so the
    message survives the flush and shows on the next page.
    """
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, LOGGED_OUT_MESSAGE)
