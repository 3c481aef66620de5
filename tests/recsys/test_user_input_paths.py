"""A user's input row and vector are the same whether built for training or for serving."""

import numpy as np
import pytest
import torch

from recsys.features.users import query_from_row
from recsys.models.batches import user_batch_inputs
from recsys.serving import load_recommender, write_artifact
from training.export import artifact_contents


@pytest.fixture(scope="module")
def recommender(fitted_ranker, tmp_path_factory):
    contents = artifact_contents(fitted_ranker, {}, {"sha256": "x", "n_ratings": 1})
    return load_recommender(write_artifact(tmp_path_factory.mktemp("paths") / "v1", contents))


def _served_query(planted, fitted, index: int):
    """The query the site would send for training user ``index``: profile + train ratings."""
    inputs = fitted.inputs
    user_id = int(fitted.user_map.ids[index])
    ratings = {
        int(fitted.item_map.ids[i]): float(r)
        for i, r in zip(inputs.train.items_of(index), inputs.train.ratings_of(index), strict=True)
    }
    profile = planted.users.set_index("user_id").loc[user_id]
    return query_from_row(profile, user_id, ratings)


def test_training_and_serving_build_the_same_input_row(planted, fitted_ranker):
    for index in (0, 3, 7):
        trained = user_batch_inputs(fitted_ranker.inputs, np.array([index]))[0].numpy()
        served = fitted_ranker.builder.user_row(
            _served_query(planted, fitted_ranker, index), fitted_ranker.item_map
        )
        np.testing.assert_allclose(trained, served, rtol=1e-6)
        n_rated = len(fitted_ranker.inputs.train.items_of(index))
        bag = served[: fitted_ranker.builder.n_id_slots]
        assert np.count_nonzero(bag) == n_rated
        np.testing.assert_allclose(bag[bag > 0], 1 / np.sqrt(n_rated), rtol=1e-6)


def test_the_served_user_vector_is_the_trained_models(planted, fitted_ranker, recommender):
    index = 5
    with torch.no_grad():
        trained = fitted_ranker.model.user_embeddings(
            user_batch_inputs(fitted_ranker.inputs, np.array([index]))
        )[0].numpy()
    served = recommender.user_vector(_served_query(planted, fitted_ranker, index))
    np.testing.assert_allclose(served, trained, rtol=1e-4, atol=1e-5)
