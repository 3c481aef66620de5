"""``{% learning_banner %}``: the home page's note while the first model trains."""

from __future__ import annotations

from django import template

from webapp.recommender.learning import learning_status

register = template.Library()


@register.inclusion_tag("recommender/_learning_banner.html")
def learning_banner() -> dict:
    return {"status": learning_status()}
