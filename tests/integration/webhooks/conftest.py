"""Webhooks' tests: a real local HTTP receiver (tests/support/webhook_receiver.py) whose
answers the test scripts, an injected clock the test moves, and the SMTP server of
notifications/test_mail.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.notifications.test_mail import smtp  # noqa: F401 - a fixture
from tests.support.webhook_receiver import receivers as _receivers


@pytest.fixture
def receivers() -> Iterator:
    with _receivers() as start:
        yield start


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    found = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setitem(app.extensions, "webhooks.clock", found)
    return found


@pytest.fixture
def private_ok(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
