"""Rules for free text people type: plain text only.

Every page escapes what it shows, so markup could never run; refusing it as well tells the writer
at once that tags will not format anything, instead of showing them literally later.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# An opening or closing tag, a comment or a doctype: "<b>", "</script >", "<!-- x", "<img src=…".
# "I <3 this", "a < b" and "x<y" are left alone.
_MARKUP = re.compile(r"<\s*(?:/\s*)?(?:[a-zA-Z][\w:-]*(?:\s|/|>|$)|!)")


def reject_markup(value: str) -> None:
    """A form validator: plain text passes, HTML does not."""
    if value and _MARKUP.search(value):
        raise ValidationError(
            "Please use plain text: HTML tags such as <b> or <script> are not allowed here.",
            code="markup",
        )
