"""The SMTP server of notifications/test_mail.py (aiosmtpd on a free port) for these tests."""

from tests.integration.notifications.test_mail import smtp  # noqa: F401 - a fixture
