"""Admin for the model registry: retrain now, watch progress, promote, roll back.

One module per job: ``training_runs`` and ``model_versions`` register the admin classes,
``forms`` and ``permissions`` guard the custom views, ``progress`` is the JSON endpoint the
change list polls, ``display`` renders sizes and progress bars.
"""

from webapp.recommender.admin import model_versions, training_runs

__all__ = ["model_versions", "training_runs"]
