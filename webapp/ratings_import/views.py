"""Import your ratings: upload an export, review what it matched, confirm, see the summary.

Views stay thin: the forms read and check the input, ``services`` changes state. Every page is
for logged-in people only, and an import is found only among the visitor's own (another
person's is a 404, as if it did not exist).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from webapp.ratings_import.forms import RatingsFileForm, ReviewForm
from webapp.ratings_import.models import PENDING_LIFETIME, PendingImport
from webapp.ratings_import.parsers import FORMATS, MAX_FILE_MEGABYTES, MAX_ROWS
from webapp.ratings_import.services import (
    UPLOADS_PER_HOUR,
    ChoiceNotOffered,
    ImportAlreadyFinished,
    ImportExpired,
    confirm_import,
    current_ratings,
    discard_import,
    start_import,
    uploads_in_the_last_hour,
)

LIFETIME_MINUTES = int(PENDING_LIFETIME.total_seconds() // 60)


def _upload_page(request: HttpRequest, form: RatingsFileForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "max_megabytes": MAX_FILE_MEGABYTES,
        "max_rows": MAX_ROWS,
        "lifetime_minutes": LIFETIME_MINUTES,
        "uploads_per_hour": UPLOADS_PER_HOUR,
    }
    return render(request, "ratings_import/upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _upload_page(request, RatingsFileForm())
    if uploads_in_the_last_hour(request.user) >= UPLOADS_PER_HOUR:
        messages.error(
            request,
            f"You have uploaded {UPLOADS_PER_HOUR} files in the past hour, the most we take; "
            "please try again later.",
        )
        return _upload_page(request, RatingsFileForm(), status=429)
    form = RatingsFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    parsed = form.cleaned_data["file"]
    pending = start_import(request.user, parsed, form.file_name)
    messages.info(
        request,
        f"Read {len(parsed.rows)} row{'s' if len(parsed.rows) != 1 else ''} as a "
        f"{parsed.format.name} file. Check the matches below, then import.",
    )
    return redirect(pending)


def _own_import(request: HttpRequest, pk) -> PendingImport:
    return get_object_or_404(PendingImport, pk=pk, user=request.user)


def _gone(request: HttpRequest, pending: PendingImport) -> HttpResponse:
    return render(
        request,
        "ratings_import/gone.html",
        {"pending": pending, "lifetime_minutes": LIFETIME_MINUTES},
        status=410,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk) -> HttpResponse:
    pending = _own_import(request, pk)
    if pending.status == PendingImport.Status.IMPORTED:
        if request.method == "POST":
            messages.info(request, "This file was imported already; nothing was imported twice.")
        return redirect("ratings_import:done", pk=pending.pk)
    if pending.status == PendingImport.Status.DISCARDED or pending.is_expired:
        return _gone(request, pending)
    data = request.POST if request.method == "POST" else None
    form = ReviewForm(data, rows=pending.rows, rated=current_ratings(request.user))
    if request.method == "POST":
        if form.is_valid():
            chosen, overwrite = form.decisions()
            try:
                confirm_import(request.user, pending.pk, chosen, overwrite)
            except ImportAlreadyFinished:
                messages.info(
                    request, "This file was imported already; nothing was imported twice."
                )
            except ImportExpired:
                return _gone(request, pending)
            except ChoiceNotOffered:
                messages.error(request, "Nothing was imported: a choice was not one offered.")
                return _review_page(request, pending, form, status=400)
            return redirect("ratings_import:done", pk=pending.pk)
        messages.error(request, "Nothing was imported: please correct the choices marked below.")
        return _review_page(request, pending, form, status=400)
    return _review_page(request, pending, form)


def _review_page(
    request: HttpRequest, pending: PendingImport, form: ReviewForm, status: int = 200
) -> HttpResponse:
    context = {
        "pending": pending,
        "format": FORMATS[pending.file_format],
        "form": form,
        "matched": form.matched(),
        "already_rated": form.already_rated(),
        "ambiguous": form.ambiguous(),
        "not_imported": form.not_imported(),
        "invalid": form.invalid(),
        "lifetime_minutes": LIFETIME_MINUTES,
    }
    return render(request, "ratings_import/review.html", context, status=status)


@login_required
@require_safe
def done(request: HttpRequest, pk) -> HttpResponse:
    pending = _own_import(request, pk)
    if pending.status != PendingImport.Status.IMPORTED:
        return redirect(pending)
    return render(
        request,
        "ratings_import/done.html",
        {"pending": pending, "summary": pending.summary, "format": FORMATS[pending.file_format]},
    )


@login_required
@require_POST
def discard(request: HttpRequest, pk) -> HttpResponse:
    pending = _own_import(request, pk)
    if discard_import(request.user, pending.pk):
        messages.info(request, "The import was cancelled; nothing was imported.")
    return redirect("ratings_import:upload")
