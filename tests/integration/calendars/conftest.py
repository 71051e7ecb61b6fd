"""The SMTP server of notifications/test_mail.py (aiosmtpd on a free port) for these tests, and
the shop in Europe/Berlin."""

import pytest

from tests.integration.notifications.test_mail import smtp  # noqa: F401 - a fixture


@pytest.fixture
def berlin(app, monkeypatch):
    monkeypatch.setitem(app.config, "BUSINESS_TIMEZONE", "Europe/Berlin")
