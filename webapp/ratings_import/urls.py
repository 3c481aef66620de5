from django.urls import path

from webapp.ratings_import import views

app_name = "ratings_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<uuid:pk>/", views.review, name="review"),
    path("<uuid:pk>/done/", views.done, name="done"),
    path("<uuid:pk>/discard/", views.discard, name="discard"),
]
