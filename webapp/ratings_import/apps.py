from django.apps import AppConfig


class RatingsImportConfig(AppConfig):
    name = "webapp.ratings_import"
    label = "ratings_import"
    verbose_name = "Ratings import"
