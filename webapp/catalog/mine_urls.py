"""The visitor's own lists, under /my/: the movies they rated and their watchlist."""

from django.urls import path

from webapp.catalog import views

app_name = "mine"

urlpatterns = [
    path("ratings/", views.my_ratings, name="ratings"),
    path("watchlist/", views.watchlist, name="watchlist"),
]
