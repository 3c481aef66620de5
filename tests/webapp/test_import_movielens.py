"""``manage.py import_movielens``: counts, genres, idempotency, and all-or-nothing failure."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from recsys.data.genres import GENRES
from tests.factories.movielens_files import write_atomic, write_official
from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating

pytestmark = pytest.mark.django_db


def run_import(path) -> str:
    out = io.StringIO()
    call_command("import_movielens", path=path, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Profile.objects.count(),
        Movie.objects.count(),
        Rating.objects.count(),
    )


@pytest.mark.parametrize("writer", [write_official, write_atomic])
def test_import_creates_users_movies_and_ratings(tmp_path, writer):
    fake = writer(tmp_path / "ml", n_users=10, n_movies=25, per_user=6)
    output = run_import(fake.folder)
    assert counts() == (10, 10, 25, 60)
    assert "Imported 10 users, 25 movies and 60 ratings" in output
    assert set(Genre.objects.values_list("name", flat=True)) == set(GENRES)

    movie = Movie.objects.get(movielens_id=7)
    assert movie.title == "The Movie 7"
    assert movie.year == fake.movie_years[7]
    assert set(movie.genre_names) == set(fake.movie_genres[7])
    assert movie.source == Movie.Source.MOVIELENS

    scores = [r for u, m, r, t in fake.ratings if m == 7]
    assert movie.rating_count == len(scores)
    if scores:
        assert movie.rating_mean == pytest.approx(sum(scores) / len(scores), abs=1e-3)


def test_imported_people_have_profiles_but_cannot_log_in(tmp_path):
    write_official(tmp_path / "ml", n_users=3)
    run_import(tmp_path / "ml")
    profile = Profile.objects.select_related("user").get(movielens_id=2)
    assert profile.age and profile.gender in {"M", "F"} and profile.occupation
    assert not profile.user.has_usable_password()
    assert authenticate(username=profile.user.username, password="") is None


def test_second_import_adds_nothing(tmp_path):
    fake = write_official(tmp_path / "ml")
    run_import(fake.folder)
    before = counts()
    output = run_import(fake.folder)
    assert counts() == before
    assert "Imported 0 users, 0 movies and 0 ratings" in output


def test_malformed_source_is_refused_and_changes_nothing(tmp_path):
    good = write_official(tmp_path / "good")
    run_import(good.folder)
    before = counts()

    bad = write_official(tmp_path / "bad", n_users=20, n_movies=40, seed=1)
    with (bad.folder / "u.data").open("a") as handle:
        handle.write("1\t1\t9\t881250949\n")
    with pytest.raises(CommandError, match="outside 1–5.*\\s+Nothing was imported"):
        run_import(bad.folder)
    assert counts() == before


def test_failure_after_writes_began_rolls_everything_back(tmp_path):
    """A username clash is found only after genres were written: the transaction undoes them."""
    User.objects.create_user("movielens-3", password="a-long-password")
    write_official(tmp_path / "ml")
    with pytest.raises(CommandError, match="already taken"):
        run_import(tmp_path / "ml")
    assert counts() == (1, 0, 0, 0)
    assert not Genre.objects.exists()


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run_import(tmp_path / "does-not-exist")
    assert counts() == (0, 0, 0, 0)


@pytest.mark.slow
def test_real_movielens_100k_has_the_published_counts():
    """The real data set, from the local cache or the RecBole wheel on PyPI."""
    call_command("import_movielens", stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.count() == 943
    assert Profile.objects.count() == 943
    assert Movie.objects.count() == 1682
    assert Rating.objects.count() == 100_000
    assert Movie.objects.filter(year__isnull=False).count() == 1681
    assert Movie.objects.popular().first().title == "Star Wars"
    assert Movie.objects.get(movielens_id=1).genre_names == ["Animation", "Children's", "Comedy"]


def test_progress_bars_come_one_after_another(tmp_path, capsys):
    """Each stage's bar is finished before the next one starts, so bars never interleave."""
    fake = write_official(tmp_path / "ml", n_users=10, n_movies=25, per_user=6)
    run_import(fake.folder)
    bars = capsys.readouterr().err
    stages = ["Importing users", "Importing movies", "Importing ratings"]
    first_seen = [bars.index(stage) for stage in stages]
    last_seen = [bars.rindex(stage) for stage in stages]
    assert first_seen == sorted(first_seen)
    assert last_seen[0] < first_seen[1] and last_seen[1] < first_seen[2]
    assert "\x1b[A" not in bars  # no cursor-up: no bar drawn over another
