"""A web process loads the active model before its first request, not during it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webapp.live_http import gunicorn, request, visitor_for
from tests.webapp.test_picks_with_model import horror_fan, served, trained_artifact
from webapp.recommender.serving import model_server

pytestmark = [pytest.mark.slow]
__all__ = ["served", "trained_artifact"]  # fixtures shared with the picks tests


@pytest.mark.django_db
def test_loading_at_start_serves_the_active_model_from_the_first_request(served, settings):
    settings.SPIKELENS_BACKGROUND_MODEL_REFRESH = True  # as in production
    model_server.reset()
    model_server.load_at_start()
    current = model_server.current()  # never waits for a load: it must be there already
    assert current is not None and current.name == served.name


@pytest.mark.django_db
def test_without_loading_at_start_the_first_request_finds_no_model(served, settings):
    """What load_at_start prevents: the background load leaves the first request without one."""
    settings.SPIKELENS_BACKGROUND_MODEL_REFRESH = True
    settings.SPIKELENS_MODEL_CHECK_SECONDS = 3600
    model_server.reset()
    assert model_server.current() is None


@pytest.mark.django_db(transaction=True)
def test_a_fresh_web_worker_answers_its_first_request_with_the_model(served, tmp_path):
    fan = horror_fan()
    visitor = visitor_for(fan)
    env = {"SPIKELENS_BACKGROUND_MODEL_REFRESH": "1", "WEB_CONCURRENCY": "1"}
    with gunicorn(tmp_path, env) as server:
        status, _, html = request(server.url, "GET", reverse("home"), headers=visitor.headers())
    assert status == 200
    assert "Chosen for you by the spiking recommender." in html
    assert "No trained model is serving yet" not in html


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_at_start_is_one_log_line_without_a_traceback(caplog):
    """A web worker (re)started during a database outage says so in one line and carries on;
    the request path tries again later (issue 15's one-line logs for expected outages)."""
    from django.db import connection

    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-spikelens-dir/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused
    model_server.reset()
    try:
        with caplog.at_level("WARNING", logger="webapp.recommender.serving"):
            model_server.load_at_start()
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    records = [r for r in caplog.records if "at start" in r.getMessage()]
    assert len(records) == 1, caplog.text
    assert records[0].levelname == "WARNING" and records[0].exc_info is None
    assert "requests will retry" in records[0].getMessage()
    assert "\n" not in records[0].getMessage()
