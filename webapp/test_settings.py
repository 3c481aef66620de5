"""Settings for the test suite: the production settings plus what only tests may do."""

import os
from pathlib import Path

# Tests get their own data folder (test database, broker queue, artifacts, uploads), so running
# them never touches the data of a site running from the same checkout.
os.environ.setdefault(
    "SPIKELENS_DATA_DIR", str(Path(__file__).resolve().parent.parent / "data" / "test")
)
os.environ.setdefault("DJANGO_SECRET_KEY", "spikelens-test-only-secret-key")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(Path(os.environ["SPIKELENS_DATA_DIR"]) / "media"))

from webapp.settings import *  # noqa: E402,F403

# Hashing passwords properly is slow on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Served straight from the apps' static folders, as in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Model swaps happen in the request thread so tests see them deterministically (a test of the
# background path sets SPIKELENS_BACKGROUND_MODEL_REFRESH=1 for its server).
SPIKELENS_BACKGROUND_MODEL_REFRESH = os.environ.get("SPIKELENS_BACKGROUND_MODEL_REFRESH") == "1"
