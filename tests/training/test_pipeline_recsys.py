"""The train → evaluate → artifact pipeline on small planted data."""

import random

import pandas as pd
import pytest
import torch

from recsys.data.synthetic import planted_genre_tables
from recsys.serving import UserQuery, load_recommender
from recsys.serving.artifact import MANIFEST
from training.pipeline import ProgressEvent, TrainConfig, train_and_evaluate


@pytest.fixture(scope="module")
def tables():
    return planted_genre_tables(n_users=60, n_movies=40, ratings_per_user=12, seed=5)


@pytest.fixture(scope="module")
def trained(tables, tmp_path_factory):
    torch.set_num_threads(1)
    events: list[ProgressEvent] = []
    out = tmp_path_factory.mktemp("runs") / "artifact"
    result = train_and_evaluate(
        tables.users,
        tables.movies,
        tables.ratings,
        TrainConfig.small(),
        out,
        events.append,
        show_progress=False,
    )
    return result, events


def test_metrics_cover_quality_cost_and_spiking(trained):
    result, _ = trained
    for key in ("map@10", "ndcg@10", "precision@10", "recall@10", "train_seconds", "peak_mb"):
        assert key in result.metrics
    assert 0.0 <= result.metrics["ndcg@10"] <= 1.0
    assert result.metrics["peak_mb"] > 0
    rates = [v for k, v in result.metrics.items() if k.startswith("spike_rate/")]
    assert rates and all(0.0 <= r <= 1.0 for r in rates)
    assert len(result.history) == result.config.fit.epochs


def test_progress_events_go_from_split_to_done_monotonically(trained):
    _, events = trained
    assert events[0].stage == "split" and events[-1].stage == "done"
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    train_events = [e for e in events if e.stage == "train"]
    assert [e.epoch for e in train_events] == list(range(1, len(train_events) + 1))
    assert all(e.loss is not None and e.total_epochs == len(train_events) for e in train_events)
    assert any(e.metric_name == "ndcg@10" and e.metric_value is not None for e in train_events)


def test_artifact_is_written_and_serves_the_evaluated_model(trained, tables):
    result, _ = trained
    assert (result.artifact_path / MANIFEST).is_file()
    recommender = load_recommender(result.artifact_path)
    info = recommender.version_info
    assert info["metrics"]["ndcg@10"] == pytest.approx(result.metrics["ndcg@10"])
    assert info["config"]["train"]["fit"]["seed"] == 42
    assert info["data_fingerprint"]["n_ratings"] == len(tables.ratings)
    assert recommender.n_items == len(tables.movies)


def test_same_seed_gives_the_same_model(tables, trained, tmp_path):
    result, _ = trained
    again = train_and_evaluate(
        tables.users,
        tables.movies,
        tables.ratings,
        TrainConfig.small(),
        tmp_path / "again",
        show_progress=False,
    )
    assert again.metrics["ndcg@10"] == pytest.approx(result.metrics["ndcg@10"])


def test_bad_tables_are_rejected_before_training(tables, tmp_path):
    with pytest.raises(ValueError, match="movies missing"):
        train_and_evaluate(
            tables.users,
            tables.movies.iloc[:5],
            tables.ratings,
            TrainConfig.small(),
            tmp_path / "x",
        )
    with pytest.raises(ValueError, match="model must be"):
        TrainConfig(model="nope")


def test_site_shaped_tables_with_missing_values_train_and_serve(tables, tmp_path):
    """The web app passes database rows: nullable profile fields, stated favourite genres,
    descriptions, and movies without a year or any rating."""
    users = tables.users.astype({"age": "float"}).copy()
    users.loc[users.index[:10], ["age", "gender", "occupation", "zip_code"]] = None
    users["favourite_genres"] = [("Horror",) if i % 2 else () for i in range(len(users))]
    movies = tables.movies.astype({"year": "Int64"}).copy()
    movies.loc[movies.index[:3], "year"] = None
    movies["description"] = ["A quiet film." if i % 3 else "" for i in range(len(movies))]
    extra = {"movie_id": 99_999, "title": "Unrated", "year": None, "genres": ("Comedy",)}
    movies = pd.concat([movies, pd.DataFrame([extra | {"description": ""}])], ignore_index=True)
    result = train_and_evaluate(
        users, movies, tables.ratings, TrainConfig.small(), tmp_path / "site", show_progress=False
    )
    recommender = load_recommender(result.artifact_path)
    assert recommender.has_item(99_999)
    assert len(recommender.recommend(UserQuery(favourite_genres=("Horror",)), k=5)) == 5


def _two_taste_site(seed: int = 0):
    """The web app's planted site (tests/factories/site_data.py) as plain tables: 40 people,
    half Horror and half Comedy fans, 60 movies alternating between the two genres; each person
    rates 10 movies of their genre 4-5 and 2 of the other genre 1-2."""
    rng = random.Random(seed)
    tastes = ("Horror", "Comedy")
    movies = pd.DataFrame(
        {
            "movie_id": range(1, 61),
            "title": [f"{tastes[i % 2]} Story {i}" for i in range(60)],
            "year": [1970 + i % 30 for i in range(60)],
            "genres": [(tastes[i % 2],) for i in range(60)],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": range(1, 41),
            "age": [20 + i % 40 for i in range(40)],
            "gender": ["MF"[i % 2] for i in range(40)],
            "occupation": "student",
            "zip_code": None,
        }
    )
    taste_of = {u: tastes[(u - 1) % 2] for u in users.user_id}
    genre_of = dict(zip(movies.movie_id, (g[0] for g in movies.genres), strict=True))
    rows = []
    for user, taste in taste_of.items():
        own = [m for m, g in genre_of.items() if g == taste]
        other = [m for m, g in genre_of.items() if g != taste]
        for movie in rng.sample(own, 10):
            rows.append((user, movie, rng.choice([4, 5])))
        for movie in rng.sample(other, 2):
            rows.append((user, movie, rng.choice([1, 2])))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    return users, movies, ratings, taste_of, genre_of


def test_small_config_learns_the_web_apps_two_taste_site(tmp_path):
    """The web app's retraining tests train the small preset on this site and expect a Horror
    fan's top 5 to be (almost) all Horror; the preset must stay able to learn that."""
    users, movies, ratings, taste_of, genre_of = _two_taste_site()
    result = train_and_evaluate(
        users, movies, ratings, TrainConfig.small(), tmp_path / "site", show_progress=False
    )
    recommender = load_recommender(result.artifact_path)
    for user in (u for u, taste in taste_of.items() if taste == "Horror"):
        mine = ratings[ratings.user_id == user]
        query = UserQuery(user_id=user, ratings=dict(zip(mine.movie_id, mine.rating, strict=True)))
        picks = [r.movie_id for r in recommender.recommend(query, k=5)]
        assert sum(genre_of[m] == "Horror" for m in picks) >= 4, f"user {user}: {picks}"


def test_a_committee_goes_through_the_whole_pipeline(tables, tmp_path):
    result = train_and_evaluate(
        tables.users,
        tables.movies,
        tables.ratings,
        TrainConfig.small(members=2, epochs=5),
        tmp_path / "committee",
        show_progress=False,
    )
    assert {"spike_rate/user/block0", "spike_rate/item/block0"} <= result.metrics.keys()
    recommender = load_recommender(result.artifact_path)
    assert recommender.model.config.members == 2
    assert recommender._index.matrix.shape == (len(tables.movies), 2 * result.config.ranker.dim + 1)
    favourite = tables.movies.movie_id.iloc[0]
    picks = recommender.recommend(UserQuery(ratings={int(favourite): 5}), k=5)
    assert len(picks) == 5 and int(favourite) not in {p.movie_id for p in picks}


def test_the_deep_model_name_brings_its_settings():
    deep = TrainConfig.for_model("snn-local-deep", seed=7)
    for tower in (deep.ranker.user, deep.ranker.item):
        assert (tower.n_blocks, tower.readout, tower.skip_input, tower.block_input) == (
            2,
            "sum",
            True,
            "rates",
        )
    assert deep.fit.deep_lr_scale < 1.0 and deep.fit.seed == 7
    assert deep.ranker.corating_gain > 0  # the co-rating readout is part of the model
    with pytest.raises(ValueError, match="pins"):
        TrainConfig.for_model("snn-local-deep", readout="concat")


def test_the_deep_model_trains_and_serves_what_was_evaluated(tables, tmp_path):
    config = TrainConfig.for_model(
        "snn-local-deep", epochs=3, dim=16, hidden=32, members=1, batch_size=32, lr=1e-2
    )
    result = train_and_evaluate(
        tables.users, tables.movies, tables.ratings, config, tmp_path / "deep", show_progress=False
    )
    assert "spike_rate/user/block1" in result.metrics
    recommender = load_recommender(result.artifact_path)
    assert recommender.version_info["metrics"]["ndcg@10"] == pytest.approx(
        result.metrics["ndcg@10"]
    )
    assert len(recommender.recommend(UserQuery(favourite_genres=("Horror",)), k=5)) == 5
