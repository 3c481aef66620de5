from django.apps import AppConfig


class MovieLensConfig(AppConfig):
    name = "webapp.movielens"
    label = "movielens"
    verbose_name = "MovieLens import"
