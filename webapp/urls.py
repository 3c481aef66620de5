"""Top-level URL map: each app owns its own routes."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

from webapp.recommender.learning import learning_progress
from webapp.recommender.views import home, more_picks


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (and some ask anyway): send them
    to the site's SVG icon, under its hashed static name in production. A temporary redirect,
    cached for a day, so a redesigned icon (a new hashed name) is picked up."""
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    path("picks/", more_picks, name="picks"),
    path("movies/", include("webapp.catalog.urls")),
    path("my/", include("webapp.catalog.mine_urls")),
    path("accounts/", include("webapp.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("import/", include("webapp.ratings_import.urls")),
    path("admin/", admin.site.urls),
    path("learning-progress/", learning_progress, name="learning-progress"),
    path("favicon.ico", favicon, name="favicon"),
]

if settings.SERVE_MEDIA:
    # Posters are re-encoded images written by the upload form, so serving them from the app
    # server is safe; a production deployment may hand this to its web server or object store.
    def serve_media(request: HttpRequest, path: str) -> HttpResponse:
        # MEDIA_ROOT is read per request so a changed setting (tests, reloads) takes effect.
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", serve_media))

# A database outage anywhere in the request becomes the 503 page; anything else the usual 500.
handler500 = "webapp.guards.database_outage.server_error"
