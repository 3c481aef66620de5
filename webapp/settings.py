"""SpikeLens settings, read from the environment.

Defaults run everything on a laptop with nothing else installed: SQLite in the data folder and a
Celery broker that is a folder on disk. Production sets ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL`` (Redis or RabbitMQ) and the same code runs there.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from recsys.paths import PROJECT_ROOT, artifacts_dir, data_dir
from webapp.envconfig import email_settings


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = PROJECT_ROOT
DATA_DIR = data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# ----------------------------------------------------------------------------- core
# Debug leaks internals, so it is opt-in; outside debug a real secret key is mandatory.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("SPIKELENS_INSECURE_DEV_KEY", False):
        SECRET_KEY = "spikelens-insecure-development-key"  # local use only
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(`make run` sets a local one for you)."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "webapp.admin_site.SpikeLensAdminConfig",  # django.contrib.admin, with our name on it
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "axes",
    "webapp.catalog",
    "webapp.accounts",
    "webapp.recommender",
    "webapp.movielens",
    "webapp.ratings_import",
]

MIDDLEWARE = [
    # First: an oversize body is refused (413) before anything reads it.
    "webapp.guards.request_limits.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database outage inside a view becomes a 503 page with Retry-After (see handler500 too).
    "webapp.guards.database_outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "webapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ----------------------------------------------------------------------------- database
# SQLite by default, in WAL mode with immediate transactions so the web server and the worker can
# share it without "database is locked" errors; DATABASE_URL switches to PostgreSQL.
SQLITE_PATH = DATA_DIR / "spikelens.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Seconds a write waits for SQLite's one writer. bin/run gives beat longer: its start-up
        # writes can meet the first training's snapshot, and a scheduler can afford to wait.
        "timeout": int(os.environ.get("SPIKELENS_SQLITE_TIMEOUT", "20")),
    }
    # A file, not memory, so a Celery worker started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_spikelens.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ----------------------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes throttles logins: after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused (HTTP 429) for AXES_COOLOFF_TIME, even with the right password.
# Logins without a request (code, the shell) are not throttled: no visitor can make them.
AUTHENTICATION_BACKENDS = [
    "webapp.accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SPIKELENS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(os.environ.get("SPIKELENS_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The client address is REMOTE_ADDR; behind a proxy, name the header it sets (never trust a
# header a client can send directly), e.g. SPIKELENS_CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR.
AXES_CLIENT_IP_CALLABLE = "webapp.accounts.backends.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# ----------------------------------------------------------------------------- i18n
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ----------------------------------------------------------------------------- static and media
# WhiteNoise serves static files from the app server itself: no CDN and no separate web server.
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "webapp" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Request bodies: a form without files may carry 1 MB; a multipart upload one poster (5 MB) plus
# 256 KB of text fields. Larger bodies are refused with 413 before they are read
# (webapp/guards/request_limits.py); uploads up to the limit stay in memory, never in /tmp.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
SPIKELENS_MAX_UPLOAD_REQUEST_BYTES = 5 * 1024 * 1024 + 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = SPIKELENS_MAX_UPLOAD_REQUEST_BYTES

# ----------------------------------------------------------------------------- security
SESSION_COOKIE_HTTPONLY = True
# The script sends the token from the form it submits, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy: DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO makes
# Django trust that header's "https" — set it only when the proxy always overwrites the header.
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"], "https")
# Served over TLS: cookies only over HTTPS, and browsers told to use HTTPS from now on (HSTS).
if env_bool("DJANGO_SECURE_COOKIES", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
# Content-Security-Policy (django-csp): every script, style, image and font comes from the site
# itself and the templates have no inline script or style, so nothing else is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# ----------------------------------------------------------------------------- e-mail
# Console backend unless EMAIL_URL (or EMAIL_HOST, …) names a server: see webapp/envconfig.py.
globals().update(email_settings(os.environ))

# ----------------------------------------------------------------------------- celery
# Embedded default: a broker that is a folder on disk and results in files, so a worker runs on a
# laptop with no server. Production: CELERY_BROKER_URL=redis://… (or amqp://…).
CELERY_DATA_DIR = DATA_DIR / "celery"
# The folder broker has no host; naming one keeps kombu from warning about it on every start.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost//")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = CELERY_DATA_DIR / "queue"
    _control_dir = CELERY_DATA_DIR / "control"
    for _folder in (_queue_dir, _control_dir, CELERY_DATA_DIR / "results"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{CELERY_DATA_DIR / 'results'}"
elif not CELERY_RESULT_BACKEND:
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The queue of every task but training (Celery's default name). Two deployments sharing one
# broker (a benchmark beside a test run) give theirs different names, with
# SPIKELENS_TRAINING_QUEUE, so neither worker takes the other's messages.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

# ----------------------------------------------------------------------------- SpikeLens
# Model artifacts; point every host at the same shared volume when running on several machines.
SPIKELENS_ARTIFACTS_DIR = Path(os.environ.get("SPIKELENS_ARTIFACTS_DIR", artifacts_dir()))
# How often a web process checks which model version is active (seconds).
SPIKELENS_MODEL_CHECK_SECONDS = float(os.environ.get("SPIKELENS_MODEL_CHECK_SECONDS", "5"))
# Load new model versions in a background thread (off only in tests, which want determinism).
SPIKELENS_BACKGROUND_MODEL_REFRESH = env_bool("SPIKELENS_BACKGROUND_MODEL_REFRESH", True)
# A training run that has not reported progress for this long is declared dead.
SPIKELENS_TRAINING_STALE_SECONDS = int(os.environ.get("SPIKELENS_TRAINING_STALE_SECONDS", "300"))
# How often a training worker proves it is alive (well under the stale limit above).
SPIKELENS_HEARTBEAT_SECONDS = float(os.environ.get("SPIKELENS_HEARTBEAT_SECONDS", "10"))
# Training goes to its own queue so it can be given its own worker hosts.
SPIKELENS_TRAINING_QUEUE = os.environ.get("SPIKELENS_TRAINING_QUEUE", "training")
# "default" trains the production model; "small" trains a tiny one in seconds (tests, demos).
SPIKELENS_TRAINING_PRESET = os.environ.get("SPIKELENS_TRAINING_PRESET", "default")
# Committee members of a run train as a Celery chord, one task per member, so N training
# workers train N members at once (webapp/recommender/runs/members.py). On by default with a
# Redis result backend, which counts a chord's finished members natively; the folder broker
# of a one-host `make run` keeps one task per run.
SPIKELENS_PARALLEL_MEMBERS = (
    os.environ.get(
        "SPIKELENS_PARALLEL_MEMBERS", "1" if CELERY_RESULT_BACKEND.startswith("redis") else "0"
    )
    == "1"
)
# The committee's size for site retraining, over the preset's (0: the preset's).
SPIKELENS_TRAINING_MEMBERS = int(os.environ.get("SPIKELENS_TRAINING_MEMBERS", "0"))
# Torch threads of a training process (0: torch's default, one per core). Several training
# workers on one host each want fewer, so together they do not ask for more than the cores.
SPIKELENS_TRAINING_THREADS = int(os.environ.get("SPIKELENS_TRAINING_THREADS", "0"))
# Data-parallel processes of one committee member (training/member_ranks.py): a member task
# starts this many ranks on its host, each with SPIKELENS_TRAINING_THREADS threads, and they
# train the member's tower pair together (the same model, up to float sums). 1: one process.
SPIKELENS_MEMBER_RANKS = int(os.environ.get("SPIKELENS_MEMBER_RANKS", "1"))
# A new version is promoted automatically when its nDCG@10 is at most this much below the active one.
SPIKELENS_PROMOTION_TOLERANCE = float(os.environ.get("SPIKELENS_PROMOTION_TOLERANCE", "0.01"))

# A database outage is answered with 503 and this Retry-After (seconds).
SPIKELENS_OUTAGE_RETRY_AFTER_SECONDS = int(os.environ.get("SPIKELENS_OUTAGE_RETRY_AFTER", "10"))
# How long a training run's progress and heartbeat writes retry through a database blip.
SPIKELENS_DB_RETRY_SECONDS = float(os.environ.get("SPIKELENS_DB_RETRY_SECONDS", "120"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Requests refused with a 4xx (bad input, CSRF, permissions) are one line, not a traceback.
    "filters": {"refusals": {"()": "webapp.guards.refusal_logging.OneLineRefusals"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SPIKELENS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"level": "WARNING", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

# Uploaded posters are served by the app itself unless a production web server or object store
# takes over (set SPIKELENS_SERVE_MEDIA=0 then).
SERVE_MEDIA = env_bool("SPIKELENS_SERVE_MEDIA", True)
