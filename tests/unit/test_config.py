"""Settings (issue 8, item 8): the README's Configuration table and the environment variables the
code reads are the same set, documented values are really used, and bad values stop start-up
with a message naming the variable."""

from __future__ import annotations

import ast
import os
import re
from datetime import time, timedelta
from pathlib import Path

import pytest

from rental.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration (environment variables)", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        first_cell = line.split("|")[1]
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


class RecordingEnviron(dict):
    """os.environ that remembers every name the code looks up."""

    def __init__(self, base: dict[str, str]) -> None:
        super().__init__(base)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def settings_read_by_load_config(tmp_path: Path, monkeypatch) -> set[str]:
    environ = RecordingEnviron({})  # nothing set: every default is taken, every name looked up
    monkeypatch.setattr(os, "environ", environ)
    load_config(tmp_path)
    return environ.read


def test_the_readme_table_lists_exactly_the_settings_load_config_reads(tmp_path, monkeypatch):
    documented = readme_settings()
    read = settings_read_by_load_config(tmp_path, monkeypatch)
    assert len(documented) > 20  # the table was found and parsed
    assert read - documented == set(), "read from the environment but not in the README table"
    assert documented - read == set(), "in the README table but never read by load_config"


def test_no_other_code_reads_the_environment_and_the_procfile_uses_documented_settings():
    for path in (ROOT / "rental").rglob("*.py"):
        if path.name == "config.py" and path.parent.name == "rental":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            reads_environment = (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            )
            if reads_environment:
                pytest.fail(f"{path.relative_to(ROOT)} reads the environment; use load_config")
    procfile = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "Procfile").read_text()))
    assert procfile and procfile <= readme_settings()


def test_documented_booking_and_outbox_settings_are_read_and_used(tmp_path, monkeypatch):
    from rental.booking.domain.policy import BookingPolicy
    from rental.shared.outbox import OutboxSettings

    for name, value in {
        "BOOKING_HOLD_MINUTES": "20",
        "BOOKING_MAX_DAYS": "30",
        "BOOKING_SLOT_MINUTES": "30",
        "BOOKING_EXPIRE_SECONDS": "45",
        "OUTBOX_LEASE_SECONDS": "90",
        "OUTBOX_RETENTION_DAYS": "14",
        "OUTBOX_MAX_BACKOFF_SECONDS": "600",
    }.items():
        monkeypatch.setenv(name, value)
    config = load_config(tmp_path)
    assert config["BOOKING_EXPIRE_SECONDS"] == 45
    policy = BookingPolicy.from_settings(config)
    assert (policy.hold_minutes, policy.max_duration, policy.slot_minutes) == (
        20,
        timedelta(days=30),
        30,
    )
    assert policy.shop_phone == ""  # not set: the refusal names no number
    monkeypatch.setenv("SHOP_PHONE", " +49 30 1234-567 ")
    assert BookingPolicy.from_settings(load_config(tmp_path)).shop_phone == "+49 30 1234-567"
    outbox = OutboxSettings.from_config(config)
    assert (outbox.lease_seconds, outbox.retention_days, outbox.max_backoff_seconds) == (
        90,
        14,
        600,
    )
    assert outbox.heartbeat_interval == 30  # a third of the lease unless set


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOOKING_MAX_DAYS", "abc", "BOOKING_MAX_DAYS must be a whole number of at least 1"),
        ("BOOKING_MAX_DAYS", "-3", "BOOKING_MAX_DAYS must be a whole number of at least 1"),
        ("BOOKING_HOLD_MINUTES", "0", "BOOKING_HOLD_MINUTES must be a whole number"),
        ("BOOKING_SLOT_MINUTES", "7", "BOOKING_SLOT_MINUTES must divide an hour evenly"),
        ("BOOKING_EXPIRE_SECONDS", "1.5", "BOOKING_EXPIRE_SECONDS must be a whole number"),
        ("OUTBOX_BATCH_SIZE", "0", "OUTBOX_BATCH_SIZE must be a whole number from 1 to 10000"),
        ("OUTBOX_LEASE_SECONDS", "nan", "OUTBOX_LEASE_SECONDS must be a number of at least 1"),
        ("OUTBOX_HEARTBEAT_SECONDS", "40", "OUTBOX_HEARTBEAT_SECONDS (40) must be shorter than"),
        ("OUTBOX_RETENTION_DAYS", "-1", "OUTBOX_RETENTION_DAYS must be a whole number of at"),
        ("OUTBOX_POLL_SECONDS", "0", "OUTBOX_POLL_SECONDS must be a number greater than 0"),
        ("WEBHOOKS_POLL_SECONDS", "0", "WEBHOOKS_POLL_SECONDS must be a number greater than 0"),
        ("WEBHOOKS_THREADS", "0", "WEBHOOKS_THREADS must be a whole number from 1 to 64"),
        ("WEBHOOKS_ALLOW_PRIVATE", "maybe", "WEBHOOKS_ALLOW_PRIVATE must be one of"),
        ("BUSINESS_TIMEZONE", "Mars/Olympus", "BUSINESS_TIMEZONE must be an IANA time zone"),
        ("SESSION_COOKIE_SECURE", "maybe", "SESSION_COOKIE_SECURE must be one of"),
        ("PORT", "70000", "PORT must be a whole number from 1 to 65535"),
        ("DEFAULT_CURRENCY", "euro", "DEFAULT_CURRENCY must be a three-letter currency code"),
        ("PUBLIC_URL", "rent.example.com", "PUBLIC_URL must be the site's address"),
        ("PUBLIC_URL", "https://rent.example.com/shop", "PUBLIC_URL must be the site's address"),
        ("PUBLIC_URL", "ftp://rent.example.com", "PUBLIC_URL must be the site's address"),
        ("SHOP_PHONE", "call <b>me</b>", "SHOP_PHONE must be a phone number"),
        ("SHOP_PHONE", "+49 " + "1" * 40, "SHOP_PHONE must be a phone number"),
        ("BOOKING_SAME_DAY_UNTIL", "25:00", "BOOKING_SAME_DAY_UNTIL must be a time of day"),
        ("BOOKING_SAME_DAY_UNTIL", "3pm", "BOOKING_SAME_DAY_UNTIL must be a time of day"),
        ("BOOKING_SAME_DAY_UNTIL", "１５:00", "BOOKING_SAME_DAY_UNTIL must be a time of day"),
        ("BOOKING_EARLY_PICKUP_DAYS", "-1", "BOOKING_EARLY_PICKUP_DAYS"),
        ("BOOKING_EARLY_PICKUP_DAYS", "31", "BOOKING_EARLY_PICKUP_DAYS"),
        ("BOOKING_EARLY_PICKUP_DAYS", "one", "BOOKING_EARLY_PICKUP_DAYS"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(
    tmp_path, monkeypatch, name, value, message
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path)
    assert message in str(refused.value)
    assert repr(value) in str(refused.value) or value in str(refused.value)


def test_empty_values_mean_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_MAX_DAYS", "")
    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", " ")
    config = load_config(tmp_path)
    assert (config["BOOKING_MAX_DAYS"], config["OUTBOX_LEASE_SECONDS"]) == (90, 30)


def test_public_url_is_the_scheme_and_host_without_a_trailing_slash(tmp_path, monkeypatch):
    assert load_config(tmp_path)["PUBLIC_URL"] is None  # unset: the request's own address
    monkeypatch.setenv("PUBLIC_URL", "https://rent.example.com:8443/")
    assert load_config(tmp_path)["PUBLIC_URL"] == "https://rent.example.com:8443"


@pytest.mark.parametrize(
    ("value", "cutoff"),
    [(None, time(15, 0)), ("9:30", time(9, 30)), ("23:59", time(23, 59)), ("OFF", None)],
)
def test_the_same_day_cutoff_reaches_the_booking_policy(tmp_path, monkeypatch, value, cutoff):
    from rental.booking.domain.policy import BookingPolicy

    if value is not None:
        monkeypatch.setenv("BOOKING_SAME_DAY_UNTIL", value)
    assert BookingPolicy.from_settings(load_config(tmp_path)).same_day_until == cutoff


@pytest.mark.parametrize(("value", "days"), [(None, 1), ("0", 0), ("3", 3)])
def test_the_early_pickup_window_reaches_the_booking_policy(tmp_path, monkeypatch, value, days):
    from rental.booking.domain.policy import BookingPolicy

    if value is not None:
        monkeypatch.setenv("BOOKING_EARLY_PICKUP_DAYS", value)
    assert BookingPolicy.from_settings(load_config(tmp_path)).early_pickup_days == days


def test_processed_outbox_messages_are_kept_longer_than_the_loyalty_window(tmp_path, monkeypatch):
    """The CRM rebuilds its projections (tiers expire 12 months after the last rental) from
    the retained messages: unless the shop says otherwise they stay 400 days."""
    from rental.shared.outbox import OutboxSettings

    monkeypatch.delenv("OUTBOX_RETENTION_DAYS", raising=False)
    assert OutboxSettings.from_config(load_config(tmp_path)).retention_days == 400
    assert OutboxSettings().retention_days == 400
