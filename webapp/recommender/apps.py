from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "webapp.recommender"
    label = "recommender"
    verbose_name = "Recommendation models"

    def ready(self) -> None:
        """Listen to the catalogue and lend it the model, so it never imports this app."""
        from webapp.catalog.match import register_match_predictor
        from webapp.catalog.recommendable import register_recommendable_check
        from webapp.catalog.signals import movie_added
        from webapp.catalog.similar import register_similar_finder
        from webapp.recommender.matching import match_from_model
        from webapp.recommender.receivers import embed_added_movie, recommendable_now
        from webapp.recommender.similar import similar_from_model

        movie_added.connect(embed_added_movie, dispatch_uid="recommender.embed_added_movie")
        register_similar_finder(similar_from_model)
        register_match_predictor(match_from_model)
        register_recommendable_check(recommendable_now)
