"""The staff dashboard and the outbox page (dead letters can be inspected and replayed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest

from rental.shared.errors import ValidationError
from rental.shared.outbox import OutboxProcessor
from rental.shared.parsing import parse_optional_int
from rental.shared.web import render

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_MESSAGE_ID = 2**63 - 1  # BIGINT


def _outbox() -> OutboxProcessor:
    return current_app.extensions["outbox"]


@bp.get("/")
def dashboard() -> Response:
    """What staff need first thing: today's hires, what needs attention, open holds."""
    from rental.booking import BookingFacade, ListReservations
    from rental.catalog import CatalogFacade

    booking = BookingFacade()
    start = datetime.now(booking.policy.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    today = booking.list_reservations(
        ListReservations(
            status="CONFIRMED",
            starts_from=start,
            starts_before=start + timedelta(days=1),
            page_size=20,
        )
    )
    attention = booking.list_reservations(ListReservations(needs_attention=True, page_size=20))
    pending = booking.list_reservations(ListReservations(status="PENDING", page_size=1)).total
    types = CatalogFacade().get_equipment_type_summaries(
        {r.equipment_type_id for r in (*today.items, *attention.items)}
    )
    return render(
        "admin/dashboard.html",
        outbox=_outbox().stats(),
        today=today,
        attention=attention,
        pending=pending,
        types=types,
    )


@bp.get("/outbox")
def outbox() -> Response:
    processor = _outbox()
    return render(
        "admin/outbox.html",
        stats=processor.stats(),
        dead=processor.dead_messages(),
    )


@bp.post("/outbox/requeue")
def outbox_requeue() -> Response:
    try:
        message_id = parse_optional_int(
            request.form.get("message_id"),
            field="message_id",
            label="message id",
            minimum=1,
            maximum=MAX_MESSAGE_ID,
        )
    except ValidationError as exc:
        raise BadRequest(exc.message) from None
    count = _outbox().requeue(message_id)
    flash(f"Requeued {count} message{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("admin.outbox"), code=303)
