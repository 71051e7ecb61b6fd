"""The SMTP server of test_mail.py (aiosmtpd on a free port) for every test of this folder."""

from tests.integration.notifications.test_mail import smtp  # noqa: F401 - a fixture
