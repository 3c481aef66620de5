from django.urls import path

from webapp.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.movie_detail, name="movie-detail"),
    path("<int:pk>/poster.svg", views.generated_poster, name="generated-poster"),
    path("<int:pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/rating/remove/", views.unrate, name="unrate"),
    path("<int:pk>/rating/restore/", views.restore, name="restore-rating"),
    path("<int:pk>/watchlist/", views.watchlist_add, name="watchlist-add"),
    path("<int:pk>/watchlist/remove/", views.watchlist_remove, name="watchlist-remove"),
    path("<int:pk>/not-interested/", views.not_interested, name="not-interested"),
    path("<int:pk>/not-interested/undo/", views.not_interested_undo, name="not-interested-undo"),
    path("not-interested/clear/", views.not_interested_clear, name="not-interested-clear"),
]
