import numpy as np

from recsys.baselines import MostPopular, MultDAE, MultDAEConfig
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.models.contract import TrainingData


def _indexed(planted) -> IndexedSplit:
    split = stratified_split(planted.ratings, seed=42)
    return IndexedSplit.from_tables(
        split.train, split.test, planted.users.user_id, planted.movies.movie_id
    )


def test_mult_dae_learns_the_planted_genres_and_repeats_with_its_seed(planted):
    indexed = _indexed(planted)
    config = MultDAEConfig(hidden=32, epochs=60, lr=1e-2, batch_size=16, seed=3)
    data = TrainingData.from_split(indexed)
    model = MultDAE(config).fit(data)
    pop = evaluate_model(MostPopular().fit(data), indexed, k=5)["precision@5"]
    dae = evaluate_model(model, indexed, k=5)["precision@5"]
    assert dae > pop + 0.1
    again = MultDAE(config).fit(data)
    users = np.arange(4)
    np.testing.assert_array_equal(model.score(users), again.score(users))
