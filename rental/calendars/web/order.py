"""/r/<reference>/<token>/calendar.ics: the order's pick-up and return for the customer's
calendar, linked from the manage page. Behind the same reference and private token (raw or
signed) as the manage page itself: a wrong pair is a 404, never a guessable URL. A cancelled
order's file stays available and marks both events STATUS:CANCELLED, so a calendar that
imported it before drops them on the next import."""

from __future__ import annotations

from flask import Blueprint, Response, url_for

from rental.calendars.application.order_calendar import order_ics_for_customer

bp = Blueprint("calendars", __name__)


@bp.get("/r/<reference>/<token>/calendar.ics")
def order_ics(reference: str, token: str) -> Response:
    manage_url = url_for("booking.manage", reference=reference, token=token, _external=True)
    body = order_ics_for_customer(reference, token, manage_url)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{reference}.ics"'
    # The URL carries the private token; the file should not sit in shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response
