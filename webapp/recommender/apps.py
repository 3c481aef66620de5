from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "webapp.recommender"
    label = "recommender"
    verbose_name = "Recommendation models"
