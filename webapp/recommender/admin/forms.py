"""The admin's forms: retraining options, and the progress endpoint's query string."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError


class RetrainForm(forms.Form):
    epochs = forms.IntegerField(
        min_value=1,
        max_value=500,
        required=False,
        help_text="Leave empty for the configured default.",
    )
    mode = forms.ChoiceField(
        choices=[
            ("local", "Layer-local learning (default)"),
            ("bptt", "End-to-end BPTT (baseline)"),
        ],
        initial="local",
    )
    promotion = forms.ChoiceField(
        choices=[
            ("gate", "Promote automatically if nDCG@10 passes the gate"),
            ("always", "Always promote"),
            ("never", "Do not promote (I will decide)"),
        ],
        initial="gate",
        widget=forms.RadioSelect,
    )


class RunIdsField(forms.Field):
    """Run ids as ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` then rejects."""

    pattern = re.compile(r"[0-9]{1,18}")
    default_error_messages = {
        "invalid": "Run ids are whole numbers; “%(value)s” is not one.",
        "too_many": "Ask for at most %(limit)d runs at a time.",
    }
    limit = 50

    def to_python(self, value) -> list[int]:
        values = value or []
        if len(values) > self.limit:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.limit}
            )
        for item in values:
            if not self.pattern.fullmatch(item):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item[:20]}
                )
        return [int(item) for item in values]


class RunIdsWidget(forms.Widget):
    def value_from_datadict(self, data, files, name):
        return data.getlist(name)


class ProgressQueryForm(forms.Form):
    """The progress endpoint's query string: ``?id=1&id=2`` (none is a valid, empty question)."""

    id = RunIdsField(required=False, widget=RunIdsWidget)

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)
