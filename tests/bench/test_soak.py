"""The soak benchmark in its short mode: a minute of the production stack under visitors, with
retrainings and promotions, and nothing lost (``python -m bench.soak --seconds 60``)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from bench.stack import production_services
from tests.factories.site_data import populate_site
from webapp.catalog.models import Movie, Rating

not_in_production_setup = production_services()


@pytest.mark.slow
@pytest.mark.skipif(
    not_in_production_setup is not None,
    reason=f"needs PostgreSQL and Redis, as in the README's production setup (CI's second run): "
    f"{not_in_production_setup}",
)
@pytest.mark.django_db(transaction=True)
def test_a_minute_of_soak_loses_no_write_and_completes_every_swap(tmp_path, settings):
    from bench.soak_load import render, run_soak, verdicts

    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    settings.MEDIA_ROOT = tmp_path / "media"
    populate_site()
    out = io.StringIO()
    result = run_soak(
        out,
        seconds=60,
        visitors=3,
        think=1.0,
        retrain_every=30,
        promote_every=30,
        retrain_epochs=None,  # the small preset's
        sample_every=5,
    )
    report = render(result, {"window": 5, "sample_every": 5, "command": "test"})
    assert result.stack_status == 0, report
    assert len(result.hits) > 40, report
    pages = {hit.page for hit in result.hits}
    assert {"home", "browse", "search", "movie", "rate", "upload"} <= pages, report
    assert result.server_errors == 0, report
    assert result.ratings_written > 0 and result.uploads_written > 0, report
    assert result.lost_writes == 0, report
    assert Rating.objects.filter(review__startswith="Soak ").exists()
    assert Movie.objects.filter(title__startswith="Soak ", source=Movie.Source.UPLOAD).exists()
    assert result.runs and result.runs_completed == len(result.runs), report
    assert len(result.swaps) >= 2 and result.swaps_completed == len(result.swaps), report
    memory = [sample for sample in result.memory if sample["role"] == "web"]
    assert len({sample["pid"] for sample in memory}) == 2, report
    missed = [line for line in verdicts(result, {"window": 5}) if line.startswith("MISSED")]
    assert not missed, report


def test_the_soak_and_swap_benchmarks_run_as_modules():
    for module, option in (("bench.soak", "--minutes"), ("bench.swaps", "--swaps")):
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            capture_output=True,
            text=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.test_settings"},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: python -m {module}") and option in done.stdout
