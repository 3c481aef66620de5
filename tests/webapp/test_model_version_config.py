"""A model version's "Configuration" is read from its artifact, the one copy of it; a version
whose artifact is gone still has a page, which says the configuration could not be read."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from recsys.models.config import TrainConfig
from webapp.recommender.admin.display import rounded
from webapp.recommender.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "a-long-password"))
    return client


def configuration_field(client, version: ModelVersion) -> str:
    """The text of the page's "Configuration" field (HTML entities decoded)."""
    response = client.get(reverse("admin:recommender_modelversion_change", args=[version.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    found = re.search(r'field-config_json.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert found, "the page has no Configuration field"
    return html.unescape(found.group(1))


@pytest.mark.slow
def test_the_configuration_shown_is_the_one_in_the_artifact(staff_client, skewed_artifact):
    """The skewed model was trained with the small preset, 20 epochs, one thread
    (tests/factories/skewed_tables.py); its page shows that whole training configuration,
    the requested ``corating_items`` 0 included (the fitted model holds the catalogue's size)."""
    version = ModelVersion.objects.create(name="skewed-v1", artifact_path=str(skewed_artifact))
    text = configuration_field(staff_client, version)
    block = re.fullmatch(r'\s*<pre class="readable-json">(.*)</pre>\s*', text, re.S)
    assert block, text
    shown = json.loads(block.group(1))
    expected = TrainConfig.small(epochs=20, torch_threads=1).to_dict()
    assert shown == rounded(json.loads(json.dumps(expected)))
    assert shown["model"] == "snn-local" and shown["ranker"]["corating_items"] == 0


def test_a_version_whose_artifact_is_gone_says_so_in_the_field(staff_client, tmp_path):
    gone = tmp_path / "v0003"
    version = ModelVersion.objects.create(name="v0003", artifact_path=str(gone))
    text = configuration_field(staff_client, version).strip()
    assert text.startswith("The artifact's configuration could not be read: ")
    assert str(gone / "config.json") in text and "readable-json" not in text


def test_an_unreadable_configuration_is_said_never_an_error(staff_client, tmp_path):
    (tmp_path / "config.json").write_text("{ not json")
    version = ModelVersion.objects.create(name="v0004", artifact_path=str(tmp_path))
    text = configuration_field(staff_client, version)
    assert "The artifact's configuration could not be read: " in text
    assert "is unreadable" in text
