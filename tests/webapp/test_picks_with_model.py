"""Picks, reasons and similar movies from a real trained model, and how the site follows it.

A tiny two-tower spiking model is trained once per test session (the pipeline's small preset) on
a planted taste structure: half the people watch Horror, half Comedy. Each test creates the same
movies in its database under the ids the model was trained with and makes the model active.
"""

from __future__ import annotations

import random
import shutil

import pandas as pd
import pytest
from django.core.management.color import no_style
from django.db import connection
from django.urls import reverse

from tests.webapp.catalog_data import image_bytes, make_genres, make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie
from webapp.recommender.models import ModelVersion
from webapp.recommender.picks import plan_picks, todays_picks
from webapp.recommender.serving import model_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FIRST_MOVIE_ID = 900_001  # far above anything a test database hands out itself
N_MOVIES = 60
TASTES = ("Horror", "Comedy")


def movie_rows() -> list[dict]:
    return [
        {
            "movie_id": FIRST_MOVIE_ID + i,
            "title": f"{TASTES[i % 2]} Tale {i:02d}",
            "year": 1970 + i % 30,
            "genres": (TASTES[i % 2],),
            "description": "",
        }
        for i in range(N_MOVIES)
    ]


@pytest.fixture(scope="session")
def trained_artifact(tmp_path_factory):
    from training.pipeline import TrainConfig, train_and_evaluate

    rng = random.Random(0)
    movies = pd.DataFrame(movie_rows())
    by_taste = {t: [m["movie_id"] for m in movie_rows() if m["genres"] == (t,)] for t in TASTES}
    users, ratings = [], []
    for user_id in range(1, 101):
        taste = TASTES[user_id % 2]
        users.append({"user_id": user_id, "age": 30, "gender": "F", "occupation": "other",
                      "zip_code": "12345", "favourite_genres": ()})  # fmt: skip
        for movie_id in rng.sample(by_taste[taste], 12):
            ratings.append((user_id, movie_id, rng.choice([4, 5]), 0))
    ratings = pd.DataFrame(ratings, columns=["user_id", "movie_id", "rating", "timestamp"])
    out = tmp_path_factory.mktemp("artifacts") / "tiny-v1"
    train_and_evaluate(
        pd.DataFrame(users), movies, ratings, TrainConfig.small(epochs=20), out, show_progress=False
    )
    return out


@pytest.fixture
def served(trained_artifact, settings):
    genres = make_genres()
    for row in movie_rows():
        movie = Movie.objects.create(
            pk=row["movie_id"],
            title=row["title"],
            year=row["year"],
            source=Movie.Source.MOVIELENS,
            movielens_id=row["movie_id"],
        )
        movie.genres.set([genres[row["genres"][0]]])
    # Movies added later (uploads) must get higher ids, as they would on a real site.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Movie]):
            cursor.execute(statement)
    version = ModelVersion.objects.create(
        name="tiny-v1", artifact_path=str(trained_artifact), is_active=True
    )
    model_server.reset()
    assert model_server.refresh() is not None
    yield version
    model_server.reset()


def horror_fan():
    user = make_member("ghoul")
    for movie in Movie.objects.filter(title__startswith="Horror").order_by("pk")[:5]:
        rate_movie(user, movie, 5)
    return user


def genres_of(picks) -> list[str]:
    return [pick.movie.genre_names[0] for pick in picks.rows]


def assert_is_top_of(shown: list[int], ranking) -> None:
    """``shown`` is the head of ``ranking`` (all (id, score) pairs), ties in any order."""
    scores = {r.movie_id: r.score for r in ranking}
    shown_scores = [scores[movie_id] for movie_id in shown]
    assert shown_scores == sorted(shown_scores, reverse=True)
    rest = [r.score for r in ranking if r.movie_id not in shown]
    assert not rest or min(shown_scores) >= max(rest)


def query_for(user):
    from recsys.serving import UserQuery

    return UserQuery(
        user_id=user.pk,
        favourite_genres=tuple(g.name for g in user.profile.favourite_genres.all()),
        ratings=dict(user.ratings.values_list("movie_id", "score")),
    )


def test_picks_are_the_models_ranking_minus_what_was_rated(served):
    user = horror_fan()
    picks = todays_picks(user, k=10)
    assert picks.personalised and picks.model_name == "tiny-v1" and picks.notice is None
    recommender = model_server.current().recommender
    everything = recommender.recommend(query_for(user), k=N_MOVIES)
    shown = [pick.movie.pk for pick in picks.rows]
    assert len(shown) == 10
    assert_is_top_of(shown, everything)  # rated movies are not in ``everything`` at all


def test_a_horror_fan_gets_horror(served):
    assert genres_of(todays_picks(horror_fan(), k=10)).count("Horror") >= 8


def test_reasons_name_a_liked_movie_whose_term_lifts_the_pick(served):
    """ "Because you liked X": X rated ≥ 4, like the pick, its readout term positive; a pick
    without such a term gets a genre or popularity reason, never a made-up movie."""
    user = horror_fan()
    recommender = model_server.current().recommender
    query = query_for(user)
    named = 0
    for pick in todays_picks(user, k=10).rows:
        if pick.reason.startswith("Because you liked "):
            liked = Movie.objects.get(title=pick.reason.removeprefix("Because you liked "))
            assert query.ratings[liked.pk] >= 4
            assert set(liked.genre_names) & set(pick.movie.genre_names)
            assert recommender.readout_term(query, liked.pk, pick.movie.pk) > 0
            named += 1
        else:
            assert pick.reason.startswith(("You rate ", "Popular with people like you")), pick
    assert named >= 5


def test_home_page_says_the_model_chose_the_picks(client, served):
    fan = horror_fan()
    client.force_login(fan)
    html = client.get(reverse("home")).content.decode()
    assert "Chosen for you by the spiking recommender." in html
    assert "Because you liked Horror Tale" in html
    assert "No trained model is serving yet" not in html
    # Model version ids are staff jargon: visitors never see them, staff do.
    assert "tiny-v1" not in html
    fan.is_staff = True
    fan.save(update_fields=["is_staff"])
    assert "Staff: model tiny-v1." in client.get(reverse("home")).content.decode()


def test_picks_refresh_when_the_person_rates_more(served):
    user = horror_fan()
    first = todays_picks(user, k=5).rows[0].movie
    rate_movie(user, first, 2)
    assert first.pk not in [pick.movie.pk for pick in todays_picks(user, k=5).rows]


def test_picks_refresh_when_a_new_model_version_becomes_active(served, trained_artifact, tmp_path):
    user = horror_fan()
    assert plan_picks(user).model_name == "tiny-v1"
    copy = shutil.copytree(trained_artifact, tmp_path / "tiny-v2")
    ModelVersion.objects.filter(pk=served.pk).update(is_active=False)
    ModelVersion.objects.create(name="tiny-v2", artifact_path=str(copy), is_active=True)
    model_server.refresh()
    assert plan_picks(user).model_name == "tiny-v2"


def test_someone_with_no_ratings_still_gets_model_picks(served):
    comedy = Movie.objects.get(pk=FIRST_MOVIE_ID + 1).genres.all()
    user = make_member("newcomer", genres=comedy)
    picks = todays_picks(user, k=10)
    assert picks.personalised and len(picks.rows) == 10
    assert {pick.reason for pick in picks.rows} == {"For fans of Comedy"}
    assert all(pick.movie.genre_names == ["Comedy"] for pick in picks.rows)


def test_similar_movies_come_from_item_embeddings(client, served):
    movie = Movie.objects.get(pk=FIRST_MOVIE_ID)
    expected = [
        item.movie_id for item in model_server.current().recommender.similar_items(movie.pk, k=6)
    ]
    response = client.get(movie.get_absolute_url())
    assert [m.pk for m in response.context["similar"]] == expected


def test_an_uploaded_movie_is_recommendable_at_once(client, served, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(make_member("uploader"))
    horror = Movie.objects.get(pk=FIRST_MOVIE_ID).genres.get()
    client.post(
        reverse("catalog:upload"),
        {
            "title": "Brand New Fright",
            "year": "2026",
            "genres": [horror.pk],
            "poster": SimpleUploadedFile("p.png", image_bytes("PNG")),
        },
    )
    movie = Movie.objects.get(title="Brand New Fright")
    recommender = model_server.current().recommender
    assert recommender.has_item(movie.pk)
    # Its page lists neighbours from its content embedding, not the genre fallback.
    similar = client.get(movie.get_absolute_url()).context["similar"]
    assert_is_top_of([m.pk for m in similar], recommender.similar_items(movie.pk, k=N_MOVIES + 1))


def upload(client, title: str, genre_name: str) -> Movie:
    from django.core.files.uploadedfile import SimpleUploadedFile

    genre = Movie.objects.filter(genres__name=genre_name).first().genres.get()
    client.post(
        reverse("catalog:upload"),
        {
            "title": title,
            "year": "2026",
            "genres": [genre.pk],
            "poster": SimpleUploadedFile("p.png", image_bytes("PNG")),
        },
    )
    return Movie.objects.get(title=title)


def picks_section(html: str) -> str:
    return html.split('id="picks-heading"')[1].split('id="new-heading"')[0]


def test_an_upload_reaches_the_picks_of_fans_of_its_genre(
    client, served, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    fan = horror_fan()
    client.force_login(fan)
    client.get(reverse("home"))  # picks planned and cached, the model checked, before the upload
    client.force_login(make_member("uploader"))
    # The upload's "movie added" signal (sent on commit) embeds it in the served model.
    with django_capture_on_commit_callbacks(execute=True):
        fright = upload(client, "Brand New Fright", "Horror")
        laughs = upload(client, "Brand New Laughs", "Comedy")
    client.force_login(fan)
    shown = [pick.movie.pk for pick in todays_picks(fan, k=12).rows]
    assert fright.pk in shown and laughs.pk not in shown
    html = picks_section(client.get(reverse("home")).content.decode())
    assert "Brand New Fright" in html and "Brand New Laughs" not in html


def test_an_uploads_similar_movies_share_its_genre(client, served, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(make_member("uploader"))
    upload(client, "Brand New Laughs", "Comedy")  # close in content (year, newness), not in genre
    fright = upload(client, "Brand New Fright", "Horror")
    similar = client.get(fright.get_absolute_url()).context["similar"]
    assert len(similar) == 6
    assert all(movie.genre_names == ["Horror"] for movie in similar)
