"""The "Find my booking" page (/bookings/find): a customer who lost their manage link types
their e-mail address and is sent the links to their open orders.

The page never says whether the address is known: every valid request gets the same 303 to
the same answer page. The request itself sends nothing; for an address that belongs to a
customer it records BookingLinksRequested (their ID, no address) in the outbox, in the
request's transaction, and the worker's handler (senders.send_booking_links) looks up the
address and the open orders when it sends. An unknown address records nothing.

Rate limits (BOOKING_LINKS_PER_IP, BOOKING_LINKS_PER_EMAIL) count every valid request, known
address or not, so they reveal nothing either; over a limit the answer is a 429 page saying
when to try again, and nothing is recorded."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for

from rental.notifications.facade import NotificationsFacade
from rental.shared.email import normalise_email, validate_email
from rental.shared.errors import ValidationError
from rental.shared.throttle import Rule, rate_limited
from rental.shared.web import render

bp = Blueprint("notifications", __name__)

TEMPLATE = "notifications/find_booking.html"
# Longer than any address (254): shown back as typed; anything longer is not echoed whole.
MAX_TYPED = 320


def _typed_email() -> str:
    return normalise_email(request.form.get("email", "")[: MAX_TYPED + 1])


PER_IP = Rule(
    "booking-links-ip",
    "BOOKING_LINKS_PER_IP",
    "Booking links have been asked for many times from your network in a short time, so we "
    "have paused this for a while.",
)
PER_EMAIL = Rule(
    "booking-links-email",
    "BOOKING_LINKS_PER_EMAIL",
    "Booking links have been asked for this e-mail address several times today, so we have "
    "paused this for a while. Check your inbox and spam folder for the e-mails sent already.",
    key=_typed_email,
)


def _check_email(raw: str) -> str:
    """The normalised address, or ValidationError(field="email") in words for the customer."""
    if len(raw) > MAX_TYPED:
        raise ValidationError(
            "That is too long for an e-mail address: enter the address you booked with.",
            field="email",
        )
    return validate_email(raw)


@bp.get("/bookings/find")
def find_booking() -> Response:
    return render(TEMPLATE, values={}, errors={})


@bp.post("/bookings/find")
@rate_limited(PER_IP, PER_EMAIL)
def find_booking_submit() -> Response:
    raw = request.form.get("email", "")
    try:
        email = _check_email(raw)
    except ValidationError as exc:
        typed = raw if len(raw) <= MAX_TYPED else ""
        return render(TEMPLATE, "find", status=422, values={"email": typed}, errors=exc.errors)
    NotificationsFacade().request_booking_links(email)
    # The same answer whatever the address: no page, status or header tells them apart.
    return redirect(url_for("notifications.find_booking_sent"), code=303)


@bp.get("/bookings/find/sent")
def find_booking_sent() -> Response:
    return render(TEMPLATE, "find", sent=True, values={}, errors={})
