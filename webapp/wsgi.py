"""WSGI entry point for gunicorn and other servers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

application = get_wsgi_application()

# Model swaps free tens of megabytes at a time: keep glibc returning them (webapp/allocator.py).
from webapp.allocator import keep_large_blocks_mapped  # noqa: E402

keep_large_blocks_mapped()

# Each web process loads the active model before its first request (not in the background on
# the first one), so nobody is told "no trained model" while a model is active.
from webapp.recommender.serving import model_server  # noqa: E402

model_server.load_at_start()
