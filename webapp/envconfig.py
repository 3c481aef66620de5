"""Settings that are parsed from environment variables by more than a one-liner.

Kept out of ``settings.py`` so the parsing can be tested with any environment, without
reloading Django's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_settings(environ: Mapping[str, str]) -> dict[str, object]:
    """Django's EMAIL_* settings from ``EMAIL_URL`` or the separate ``EMAIL_HOST`` variables.

    Why a default of the console backend: without a mail server, password-reset mails would
    otherwise fail against localhost:25 while the page says "sent". On the console they land in
    the server's log, where a developer finds the link.

    ``EMAIL_URL`` forms: ``console:``, ``smtp://user:password@host:587`` (STARTTLS with
    ``smtp+tls://``, implicit TLS with ``smtps://``), ``file:///path/to/folder``.
    """
    settings: dict[str, object] = {
        "EMAIL_BACKEND": CONSOLE_BACKEND,
        "DEFAULT_FROM_EMAIL": environ.get("DEFAULT_FROM_EMAIL", "SpikeLens <noreply@localhost>"),
        "EMAIL_TIMEOUT": int(environ.get("EMAIL_TIMEOUT", "10")),
    }
    settings["SERVER_EMAIL"] = environ.get("SERVER_EMAIL", settings["DEFAULT_FROM_EMAIL"])
    url = environ.get("EMAIL_URL", "").strip()
    if url:
        settings.update(_from_url(url))
    elif environ.get("EMAIL_HOST"):
        settings.update(
            {
                "EMAIL_BACKEND": SMTP_BACKEND,
                "EMAIL_HOST": environ["EMAIL_HOST"],
                "EMAIL_PORT": int(environ.get("EMAIL_PORT", "25")),
                "EMAIL_HOST_USER": environ.get("EMAIL_HOST_USER", ""),
                "EMAIL_HOST_PASSWORD": environ.get("EMAIL_HOST_PASSWORD", ""),
                "EMAIL_USE_TLS": _truthy(environ.get("EMAIL_USE_TLS", "")),
                "EMAIL_USE_SSL": _truthy(environ.get("EMAIL_USE_SSL", "")),
            }
        )
    return settings


def _from_url(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE_BACKEND}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ValueError(
            f"EMAIL_URL scheme must be console, file, smtp, smtp+tls or smtps: {url!r}"
        )
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls" or _truthy(query.get("tls", [""])[0]),
        "EMAIL_USE_SSL": scheme == "smtps",
    }


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}
