"""Template helpers for movie lists: the visitor's own score, the inline star form, the
watchlist and "not interested" buttons, and the predicted match."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

STAR_VALUES = (5, 4, 3, 2, 1)  # reversed in the markup; CSS lays them out 1 → 5


@register.filter
def score_for(scores: dict[int, int] | None, movie_id: int) -> int | None:
    """``{{ my_scores|score_for:movie.pk }}``: dictionaries keyed by a variable, in one lookup."""
    if not scores:
        return None
    return scores.get(movie_id)


@register.filter
def stars_text(score: int) -> str:
    """ "★★★★☆" for 4: a picture of a score (templates give screen readers the number)."""
    try:
        filled = max(0, min(STAR_VALUES[0], int(score)))
    except (TypeError, ValueError):
        return ""
    return "★" * filled + "☆" * (STAR_VALUES[0] - filled)


@register.simple_tag(takes_context=True)
def rate_inline(
    context: template.Context, movie, scores: dict[int, int] | None = None
) -> SafeString:
    """A star form that works without JavaScript: radio buttons plus a submit button.

    Built in Python rather than a template because lists show dozens of these and a template
    loop over five stars per movie was most of a list page's rendering time. Every value goes
    through ``format_html``, so it is escaped exactly as a template would escape it.
    """
    mine = score_for(scores, movie.pk)
    next_url = _next_url(context)
    stars = format_html_join(
        "",
        '<input type="radio" name="score" value="{0}" id="rate-{1}-{0}"{2}>'
        '<label for="rate-{1}-{0}" title="{3}"><span class="visually-hidden">{3}</span></label>',
        (
            (
                value,
                movie.pk,
                SafeString(" checked") if value == mine else "",
                f"{value} star{'s' if value > 1 else ''}",
            )
            for value in STAR_VALUES
        ),
    )
    return format_html(
        '<form method="post" action="{action}" class="rate-inline" data-rate-form>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<input type="hidden" name="next" value="{next}">'
        '<fieldset class="stars"><legend class="visually-hidden">Your rating of {title}</legend>'
        "{stars}</fieldset>"
        '<button type="submit" class="button button-small">{verb}'
        '<span class="visually-hidden"> {title}</span></button>'
        '<span class="rate-status" role="status" aria-live="polite"></span></form>',
        action=reverse("catalog:rate", args=[movie.pk]),
        token=context.get("csrf_token") or "",
        next=next_url,
        title=movie.title,
        stars=stars,
        verb="Update" if mine else "Rate",
    )


def _next_url(context: template.Context) -> str:
    """Where a card's forms send the visitor back to: the page they are on."""
    request = context.get("request")
    return context.get("rate_next") or (request.get_full_path() if request is not None else "")


CARD_FORM = (
    '<form method="post" action="{action}" class="card-action">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    '<input type="hidden" name="next" value="{next}">'
    '<button type="submit" class="{css}">{label}</button></form>'
)
# Visible words around the title that only screen readers hear: "Add Fargo to watchlist".
HIDDEN_TITLE = '{before}<span class="visually-hidden"> {title}</span>{after}'


@register.simple_tag(takes_context=True)
def card_actions(
    context: template.Context, movie, watchlisted=None, dismissable: bool = False
) -> SafeString:
    """The watchlist button (add, or remove when ``movie`` is in ``watchlisted``) and, on pick
    cards (``dismissable``), "Not interested": plain POST forms with CSRF, working without
    JavaScript. Built in Python like :func:`rate_inline`, since lists show dozens."""
    token = context.get("csrf_token") or ""
    next_url = _next_url(context)
    on_list = bool(watchlisted) and movie.pk in watchlisted
    forms = [
        format_html(
            CARD_FORM,
            action=reverse(
                "catalog:watchlist-remove" if on_list else "catalog:watchlist-add", args=[movie.pk]
            ),
            token=token,
            next=next_url,
            css="button button-small button-secondary" if on_list else "button button-small",
            label=format_html(
                HIDDEN_TITLE,
                before="Remove" if on_list else "Add",
                title=movie.title,
                after=" from watchlist" if on_list else " to watchlist",
            ),
        )
    ]
    if dismissable:
        forms.append(
            format_html(
                CARD_FORM,
                action=reverse("catalog:not-interested", args=[movie.pk]),
                token=token,
                next=next_url,
                css="link-button not-interested",
                label=format_html(
                    HIDDEN_TITLE, before="Not interested", title=f"in {movie.title}", after=""
                ),
            )
        )
    return format_html('<div class="card-actions">{}</div>', SafeString("".join(forms)))


MATCH_EXPLANATION = (
    "Our estimate of the chance you would rate {title} 4 or 5 stars, read from your own "
    "ratings: movies like the ones you rated highly raise it, movies like the ones you rated 1 "
    "or 2 stars lower it. It is how often people gave 4 or 5 stars to movies scored like this "
    "one for them, on ratings the recommender had not seen while learning."
)


@register.simple_tag
def match_badge(movie, percent: int | None, place: str = "card") -> SafeString:
    """ "92% match", explained on hover and keyboard focus by a tooltip the badge names with
    ``aria-describedby`` (CSS shows it; no script, so the strict CSP holds). ``place`` keeps
    ids unique when a movie's badge appears twice on a page. Nothing for ``None``."""
    if percent is None:
        return SafeString("")
    help_id = f"match-why-{place}-{movie.pk}"
    return format_html(
        '<p class="match"><span class="match-value" tabindex="0" aria-describedby="{id}">'
        "{percent}% match</span>"
        '<span class="match-why" id="{id}" role="tooltip">{why}</span></p>',
        id=help_id,
        percent=int(percent),
        why=MATCH_EXPLANATION.format(title=movie.title),
    )
