"""Rules for free text people type: plain text only.

Every page escapes what it shows, so markup could never run; refusing it as well tells the writer
at once that tags will not format anything, instead of showing them literally later.
"""

from __future__ import annotations

import re
import unicodedata

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


# Characters that draw nothing: format characters (zero-width space/joiners, BOM, bidi marks),
# controls, separators, combining marks without a base, private use, and the blank "letters"
# (Hangul fillers, braille blank) that Unicode classes as letters or symbols.
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def has_visible_text(value: str) -> bool:
    """True when at least one character of ``value`` draws something on the page."""
    return any(
        not char.isspace()
        and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        and char not in _BLANK_LETTERS
        for char in value
    )


def reject_invisible(value: str) -> None:
    """A form validator: a title made only of spaces and zero-width characters is no title."""
    if value and not has_visible_text(value):
        raise ValidationError(
            "The title must contain visible characters, not only spaces or invisible ones.",
            code="invisible",
        )
