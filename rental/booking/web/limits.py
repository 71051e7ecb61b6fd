"""Request-rate limits of the public booking journey (settings in the README). Only requests
that made something count: a form error or a conflict gives its count back."""

from __future__ import annotations

from flask import request

from rental.shared.email import normalise_email
from rental.shared.throttle import Rule, rate_limited


def _typed_email() -> str:
    return normalise_email(request.form.get("email", ""))


HOLDS_PER_IP = Rule(
    "booking-holds-ip",
    "BOOKING_HOLDS_PER_IP",
    "Many bookings have been started from your network in a short time, so we have paused "
    "new ones for a while to keep the equipment free for everyone.",
)
HOLDS_PER_EMAIL = Rule(
    "booking-holds-email",
    "BOOKING_HOLDS_PER_EMAIL",
    "Many bookings have been started with this e-mail address in a short time, so we have "
    "paused new ones for a while. Bookings you already made are kept.",
    key=_typed_email,
)
CONFIRMS_PER_IP = Rule(
    "booking-confirms-ip",
    "BOOKING_CONFIRMS_PER_IP",
    "Many bookings have been confirmed from your network in a short time, so we have paused "
    "confirmations for a while.",
)

limit_holds = rate_limited(HOLDS_PER_IP, HOLDS_PER_EMAIL)
limit_confirmations = rate_limited(CONFIRMS_PER_IP)
