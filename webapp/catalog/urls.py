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
]
