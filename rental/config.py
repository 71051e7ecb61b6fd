"""Configuration from the environment, with defaults that work on a fresh machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    # pre_ping: a connection that died while the database was down is replaced, not used, so
    # the site recovers by itself. connect_timeout: an unreachable server answers 503 in
    # seconds instead of hanging a worker until the TCP timeout.
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def load_config(instance_path: Path) -> dict[str, Any]:
    default_db = f"sqlite:///{instance_path / 'rental.db'}"
    database_url = normalise_database_url(os.environ.get("DATABASE_URL", default_db))
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path),
        "PORT": _int("PORT", 8000),
        "BUSINESS_TIMEZONE": os.environ.get("BUSINESS_TIMEZONE", "UTC"),
        "DEFAULT_CURRENCY": os.environ.get("DEFAULT_CURRENCY", "EUR"),
        "OUTBOX_POLL_SECONDS": _float("OUTBOX_POLL_SECONDS", 5),
        "OUTBOX_BATCH_SIZE": _int("OUTBOX_BATCH_SIZE", 100),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 10),
        "OUTBOX_BACKOFF_SECONDS": _float("OUTBOX_BACKOFF_SECONDS", 2),
        "OUTBOX_LEASE_SECONDS": _float("OUTBOX_LEASE_SECONDS", 300),
        # Extra packages with an init_app(app) hook, comma-separated (tests use it for probes).
        "RENTAL_PLUGINS": [p for p in os.environ.get("RENTAL_PLUGINS", "").split(",") if p],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure is also set automatically for requests that arrive over HTTPS.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        "SESSION_COOKIE_NAME": "rentkit_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
        # Staff sessions: absolute lifetime; login throttling (limits syntax) and its storage.
        "STAFF_SESSION_HOURS": _float("STAFF_SESSION_HOURS", 12),
        "LOGIN_RATE_LIMIT_IP": os.environ.get("LOGIN_RATE_LIMIT_IP", "20 per 15 minutes"),
        "LOGIN_RATE_LIMIT_ACCOUNT": os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "5 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a tab left open still works
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
