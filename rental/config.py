"""Configuration from the environment, with defaults that work on a fresh machine.

Every variable read here is documented in the README's Configuration table (a test compares
the two). A value the application cannot use stops start-up with a `ConfigError` naming the
variable, instead of failing later deep inside a request or a job."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The exit status for a configuration error. It is gunicorn's APP_LOAD_ERROR, so the gunicorn
# master stops with the message instead of respawning workers that cannot start either.
CONFIG_ERROR_EXIT = 4


class ConfigError(ValueError):
    """A setting in the environment has a value the application cannot use."""


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
    # No pool_pre_ping: a connection that died while the database was down is replaced at
    # checkout by rental.shared.db._replace_if_dropped, which pings only a connection whose
    # socket says the server hung up (or one long idle), so the site recovers by itself without
    # a round trip on every request. connect_timeout: a database host that drops packets fails
    # a connection attempt in seconds, not after the TCP timeout (minutes), so pages answer 503
    # quickly and the worker's outage back-off works.
    return {"connect_args": {"connect_timeout": 10}}


# --- typed readers: each names the variable in its error ---------------------------------------


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None  # unset and empty both mean "use the default"
    return value.strip()


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" of at least {minimum:g}"
    if maximum is not None:
        return f" of at most {maximum:g}"
    return ""


def _int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if (
        value is None
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ConfigError(
            f"{name} must be a whole number{_bounds(minimum, maximum)} (got {raw!r})."
        )
    return value


def _float(
    name: str, default: float, *, minimum: float | None = None, positive: bool = False
) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if (
        value is None
        or value != value  # NaN
        or value in (float("inf"), float("-inf"))
        or (minimum is not None and value < minimum)
        or (positive and value <= 0)
    ):
        need = " greater than 0" if positive else _bounds(minimum, None)
        raise ConfigError(f"{name} must be a number{need} (got {raw!r}).")
    return value


def _share(name: str, default: float) -> float:
    value = _float(name, default, positive=True)
    if value > 1:
        raise ConfigError(f"{name} must be a share between 0 and 1, e.g. 0.5 (got {value!r}).")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of {'/'.join(_TRUE + _FALSE)} (got {raw!r}).")


def _str(name: str, default: str) -> str:
    return _raw(name) or default


def _timezone(name: str, default: str) -> str:
    value = _str(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name} must be an IANA time zone such as Europe/Berlin or UTC (got {value!r})."
        ) from None
    return value


def _currency(name: str, default: str) -> str:
    raw = _str(name, default)
    if not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise ConfigError(f"{name} must be a three-letter currency code such as EUR (got {raw!r}).")
    return raw.upper()


def _public_url(name: str) -> str | None:
    """'https://rent.example.com' (scheme and host, optional port; no path, query or fragment),
    or None when unset."""
    raw = _raw(name)
    if raw is None:
        return None
    value = raw.rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", value):
        raise ConfigError(
            f"{name} must be the site's address with scheme and host only, such as "
            f"https://rent.example.com (got {raw!r})."
        )
    return value


def _phone(name: str) -> str:
    raw = (_raw(name) or "").strip()
    if raw and not re.fullmatch(r"\+?[0-9 ().\-/]{3,30}", raw):
        raise ConfigError(
            f"{name} must be a phone number of digits, spaces and + ( ) - . / (at most 30 "
            f"characters, got {raw!r})."
        )
    return raw


def _slot_minutes(name: str, default: int) -> int:
    value = _int(name, default, minimum=1, maximum=60)
    if 60 % value:
        raise ConfigError(
            f"{name} must divide an hour evenly (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60; "
            f"got {value})."
        )
    return value


def _time_of_day(name: str, default: str) -> str:
    """A local time 'HH:MM' (00:00-23:59), or 'off'."""
    raw = _str(name, default)
    if raw.lower() == "off":
        return "off"
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", raw)
    if not match:
        raise ConfigError(
            f"{name} must be a time of day such as 15:00 (00:00 to 23:59), or off (got {raw!r})."
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _uploads_dir(name: str, instance_path: Path) -> str:
    """A folder for uploaded images (made when missing); relative paths are taken from the
    working directory. Not a file, and writable when it exists."""
    raw = _raw(name)
    folder = Path(raw).expanduser().resolve() if raw else instance_path / "uploads"
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{name} must be a folder, but {str(folder)!r} is a file.")
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{name} must be a folder this process can write to ({str(folder)!r}).")
    return str(folder)


def _outbox() -> dict[str, Any]:
    lease = _float("OUTBOX_LEASE_SECONDS", 30, minimum=1)
    heartbeat = _float("OUTBOX_HEARTBEAT_SECONDS", lease / 3, positive=True)
    if heartbeat >= lease:
        raise ConfigError(
            f"OUTBOX_HEARTBEAT_SECONDS ({heartbeat:g}) must be shorter than "
            f"OUTBOX_LEASE_SECONDS ({lease:g}), or leases run out while a handler is busy."
        )
    backoff = _float("OUTBOX_BACKOFF_SECONDS", 2, minimum=0)
    return {
        # Short: on SQLite the poll is the wake-up (an idle poll is one indexed read); on
        # PostgreSQL a NOTIFY wakes the worker and the poll is the fallback.
        "OUTBOX_POLL_SECONDS": _float("OUTBOX_POLL_SECONDS", 1, positive=True),
        # PostgreSQL: savepoints per transaction (one per handler that uses the database; the
        # others share the transaction for free); 1 = each delivery a transaction of its own.
        "OUTBOX_GROUP_SIZE": _int("OUTBOX_GROUP_SIZE", 50, minimum=1, maximum=64),
        "OUTBOX_BATCH_SIZE": _int("OUTBOX_BATCH_SIZE", 500, minimum=1, maximum=10_000),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 10, minimum=1),
        "OUTBOX_BACKOFF_SECONDS": backoff,
        "OUTBOX_MAX_BACKOFF_SECONDS": _float("OUTBOX_MAX_BACKOFF_SECONDS", 3600, minimum=backoff),
        "OUTBOX_LEASE_SECONDS": lease,
        "OUTBOX_HEARTBEAT_SECONDS": heartbeat,
        "OUTBOX_RETENTION_DAYS": _int("OUTBOX_RETENTION_DAYS", 400, minimum=0),
    }


def load_config(instance_path: Path) -> dict[str, Any]:
    default_db = f"sqlite:///{instance_path / 'rental.db'}"
    database_url = normalise_database_url(_str("DATABASE_URL", default_db))
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path),
        # HOST, PORT and WEB_CONCURRENCY are used by the Procfile's gunicorn command line; they
        # are read here too so a bad value is reported by name before anything starts.
        "HOST": _str("HOST", "127.0.0.1"),
        "PORT": _int("PORT", 8000, minimum=1, maximum=65535),
        "WEB_CONCURRENCY": _int("WEB_CONCURRENCY", 3, minimum=1),
        "BUSINESS_TIMEZONE": _timezone("BUSINESS_TIMEZONE", "UTC"),
        "DEFAULT_CURRENCY": _currency("DEFAULT_CURRENCY", "EUR"),
        "BOOKING_HOLD_MINUTES": _int("BOOKING_HOLD_MINUTES", 15, minimum=1),
        "BOOKING_MAX_DAYS": _int("BOOKING_MAX_DAYS", 90, minimum=1),
        "BOOKING_SLOT_MINUTES": _slot_minutes("BOOKING_SLOT_MINUTES", 15),
        "BOOKING_EXPIRE_SECONDS": _int("BOOKING_EXPIRE_SECONDS", 30, minimum=1),
        "TIMELINE_DAYS": _int("TIMELINE_DAYS", 14, minimum=1, maximum=62),
        "INVENTORY_OVERDUE_SECONDS": _int("INVENTORY_OVERDUE_SECONDS", 60, minimum=1),
        "NOTIFICATIONS_JOB_SECONDS": _int("NOTIFICATIONS_JOB_SECONDS", 600, minimum=1),
        # Extra packages with an init_app(app) hook, comma-separated (tests use it for probes).
        "RENTAL_PLUGINS": [
            p.strip() for p in os.environ.get("RENTAL_PLUGINS", "").split(",") if p.strip()
        ],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure is also set automatically for requests that arrive over HTTPS.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        "SESSION_COOKIE_NAME": "rentkit_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0, minimum=0),
        # The site's public address for absolute links search engines and link previews see
        # (canonical URLs, Open Graph, sitemap.xml); unset: the address the request came to.
        "PUBLIC_URL": _public_url("PUBLIC_URL"),
        # Staff sessions: absolute lifetime. Login throttling: failed sign-ins per client IP, per
        # account (a high bar: any IP can fail on purpose), and per account and IP the count
        # after which every further attempt waits 1, 2, 4 … seconds (at most the maximum).
        "STAFF_SESSION_HOURS": _float("STAFF_SESSION_HOURS", 12, positive=True),
        "LOGIN_RATE_LIMIT_IP": os.environ.get("LOGIN_RATE_LIMIT_IP", "20 per 15 minutes"),
        "LOGIN_RATE_LIMIT_ACCOUNT": os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "50 per hour"),
        "LOGIN_DELAY_AFTER": os.environ.get("LOGIN_DELAY_AFTER", "5 per hour"),
        "LOGIN_DELAY_MAX_SECONDS": _int("LOGIN_DELAY_MAX_SECONDS", 900, minimum=1),
        # Public booking: holds started per client IP and per e-mail, confirmations per IP.
        "BOOKING_HOLDS_PER_IP": os.environ.get("BOOKING_HOLDS_PER_IP", "10 per hour"),
        "BOOKING_HOLDS_PER_EMAIL": os.environ.get("BOOKING_HOLDS_PER_EMAIL", "5 per hour"),
        "BOOKING_CONFIRMS_PER_IP": os.environ.get("BOOKING_CONFIRMS_PER_IP", "20 per hour"),
        # "Find my booking" (e-mail me my booking links): requests per client IP and per address.
        "BOOKING_LINKS_PER_IP": os.environ.get("BOOKING_LINKS_PER_IP", "5 per hour"),
        "BOOKING_LINKS_PER_EMAIL": os.environ.get("BOOKING_LINKS_PER_EMAIL", "3 per day"),
        # Where rate-limit counters live: "database" (shared by every worker), "redis://…", or
        # "memory://" (one process: tests and development only).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "database"),
        # Redis only: prefix of the counter keys (several installations can share one Redis).
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "rentkit:throttle:"),
        # Booking limits against hold flooding (see the README's Configuration table).
        "BOOKING_HORIZON_DAYS": _int("BOOKING_HORIZON_DAYS", 365, minimum=1, maximum=3650),
        "BOOKING_ONLINE_MAX_SHARE": _share("BOOKING_ONLINE_MAX_SHARE", 0.5),
        "BOOKING_OPEN_PER_EMAIL": _int("BOOKING_OPEN_PER_EMAIL", 3, minimum=1),
        "BOOKING_OPEN_PER_IP": _int("BOOKING_OPEN_PER_IP", 5, minimum=1),
        # The shop's phone, given when an online booking is refused ("please call us on …").
        "SHOP_PHONE": _phone("SHOP_PHONE"),
        # Whole-day bookings may start today until this local time ("off": from tomorrow).
        "BOOKING_SAME_DAY_UNTIL": _time_of_day("BOOKING_SAME_DAY_UNTIL", "15:00"),
        # Equipment may be handed over from local midnight this many days before the first day.
        "BOOKING_EARLY_PICKUP_DAYS": _int("BOOKING_EARLY_PICKUP_DAYS", 1, minimum=0, maximum=30),
        # JSON API: requests without a token per client IP ("off": none); the largest body.
        "API_PUBLIC_RATE_LIMIT": os.environ.get("API_PUBLIC_RATE_LIMIT", "300 per minute"),
        "API_MAX_BODY_BYTES": _int("API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a tab left open still works
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Uploaded photos: where their files go, and the largest file staff may upload.
        "UPLOADS_DIR": _uploads_dir("UPLOADS_DIR", instance_path),
        "UPLOAD_MAX_MB": _int("UPLOAD_MAX_MB", 10, minimum=1, maximum=50),
        # Photos of damage kept from a deposit (staff only); empty: UPLOADS_DIR + "-damage".
        "DAMAGE_PHOTOS_DIR": _uploads_dir("DAMAGE_PHOTOS_DIR", instance_path)
        if _raw("DAMAGE_PHOTOS_DIR")
        else "",
    }
    # Webhooks may go to loopback and private addresses (tests, local demos only: SSRF guard).
    config["WEBHOOKS_ALLOW_PRIVATE"] = _bool("WEBHOOKS_ALLOW_PRIVATE")
    # How often the worker looks for due webhook deliveries, and how many endpoints it sends to
    # at once (one thread each).
    config["WEBHOOKS_POLL_SECONDS"] = _float("WEBHOOKS_POLL_SECONDS", 2, positive=True)
    config["WEBHOOKS_THREADS"] = _int("WEBHOOKS_THREADS", 8, minimum=1, maximum=64)
    config.update(_outbox())
    config.update(_mail(instance_path))
    return config


# Flask-Mailman's backend for "no MAIL_SERVER" (imported by its dotted path).
EML_BACKEND = "rental.notifications.infrastructure.mailer.EmlEmailBackend"


def _mail(instance_path: Path) -> dict[str, Any]:
    """E-mail delivery (rental/notifications, Flask-Mailman). No MAIL_SERVER: every message is
    written as an .eml file to MAIL_FILE_PATH (instance/mail/) instead of being sent."""
    server = _str("MAIL_SERVER", "").strip()
    use_tls, use_ssl = _bool("MAIL_USE_TLS"), _bool("MAIL_USE_SSL")
    if use_tls and use_ssl:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL: set one of them, not both")
    return {
        "MAIL_SERVER": server or "localhost",
        "MAIL_PORT": _int(
            "MAIL_PORT", 465 if use_ssl else 587 if use_tls else 25, minimum=1, maximum=65535
        ),
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": _raw("MAIL_USERNAME"),
        "MAIL_PASSWORD": _raw("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": _str("MAIL_DEFAULT_SENDER", "rentkit@localhost"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 10, minimum=1),
        # Not read from the environment: SMTP when MAIL_SERVER is set, else .eml files.
        "MAIL_BACKEND": "smtp" if server else EML_BACKEND,
        "MAIL_FILE_PATH": str(instance_path / "mail"),
        "MANAGE_LINK_MAX_AGE_DAYS": _int("MANAGE_LINK_MAX_AGE_DAYS", 400, minimum=1),
    }
