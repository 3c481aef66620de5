"""Integrity rules the database itself enforces, whatever code path writes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from webapp.catalog.models import Movie, Rating
from webapp.recommender.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return User.objects.create_user("ada", password="a-long-password")


@pytest.fixture
def movie():
    return Movie.objects.create(title="Metropolis", year=1927)


@pytest.mark.parametrize("score", [0, 6, 100])
def test_rating_outside_one_to_five_is_refused_by_the_database(user, movie, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, movie=movie, score=score)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [1, 5])
def test_rating_at_the_edges_is_accepted(user, movie, score):
    Rating.objects.create(user=user, movie=movie, score=score)
    assert Rating.objects.get().score == score


def test_second_rating_of_the_same_movie_is_refused(user, movie):
    Rating.objects.create(user=user, movie=movie, score=4, review="Grand.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, movie=movie, score=2)
    kept = Rating.objects.get()
    assert (kept.score, kept.review) == (4, "Grand.")


def test_at_most_one_model_version_is_active():
    ModelVersion.objects.create(name="v1", artifact_path="/a/v1", is_active=True)
    ModelVersion.objects.create(name="v2", artifact_path="/a/v2", is_active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(name="v3", artifact_path="/a/v3", is_active=True)
    assert list(ModelVersion.objects.filter(is_active=True).values_list("name", flat=True)) == [
        "v1"
    ]


def test_movielens_movie_must_carry_its_id():
    with pytest.raises(IntegrityError), transaction.atomic():
        Movie.objects.create(title="Orphan", source=Movie.Source.MOVIELENS)
