"""The web benchmark's visitor: a fresh password every run, and a real login over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from bench.loadtest import fetch, log_in, prepare_visitor
from tests.factories.site_data import populate_site
from tests.webapp.live_http import gunicorn
from webapp.catalog.models import Movie


@pytest.mark.django_db
def test_each_run_gives_the_visitor_a_new_password_and_the_old_one_stops_working():
    populate_site()
    first = prepare_visitor("bench-visitor", n_ratings=10)
    second = prepare_visitor("bench-visitor", n_ratings=10)
    user = get_user_model().objects.get(pk=second.user_id)
    assert first.user_id == second.user_id and first.password != second.password
    assert len(second.password) >= 24
    assert user.check_password(second.password) and not user.check_password(first.password)
    assert user.ratings.count() == 10


@pytest.mark.django_db
def test_too_few_movies_for_the_requested_history_is_refused():
    Movie.objects.bulk_create(Movie(title=f"Only {i}", year=1990) for i in range(4))
    with pytest.raises(RuntimeError, match="Only 4 movies"):
        prepare_visitor("bench-visitor", n_ratings=10)


@pytest.mark.django_db(transaction=True)
def test_the_visitor_logs_in_through_the_real_form(tmp_path):
    populate_site()
    visitor = prepare_visitor("bench-visitor", n_ratings=10)
    with gunicorn(tmp_path) as server:
        cookie = log_in(server.url, visitor)
        status, html = fetch(server.url, "/", cookie)
    assert status == 200 and "bench-visitor" in html


@pytest.mark.parametrize(
    ("module", "option"), [("bench.web", "--clients"), ("bench.search", "--repeats")]
)
def test_the_benchmarks_run_as_modules_outside_the_apps(module, option):
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.test_settings"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module}") and option in done.stdout
