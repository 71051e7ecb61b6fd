"""The staff dashboard and the outbox page (dead letters can be inspected and replayed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest

from rental.shared.errors import ValidationError
from rental.shared.outbox import OutboxProcessor
from rental.shared.parsing import parse_optional_int
from rental.shared.time_range import utcnow
from rental.shared.web import render

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_MESSAGE_ID = 2**63 - 1  # BIGINT


def _outbox() -> OutboxProcessor:
    return current_app.extensions["outbox"]


def describe_age(since: datetime | None, now: datetime | None = None) -> str:
    """'45 s', '12 min', '3 h 5 min', '2 days 4 h': how long a message has been waiting."""
    if since is None:
        return ""
    seconds = max(int(((now or utcnow()) - since).total_seconds()), 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60} min"
    return f"{days} day{'s' if days != 1 else ''} {hours % 24} h"


@bp.get("/")
def dashboard() -> Response:
    """What staff need first thing: today's hires, what needs attention, open holds."""
    from rental.booking import BookingFacade, ListReservations
    from rental.catalog import CatalogFacade
    from rental.customers import CustomerFacade

    booking = BookingFacade()
    start = datetime.now(booking.policy.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    today = booking.list_reservations(
        ListReservations(
            statuses=("CONFIRMED", "ON_HIRE"),  # starting today: waiting or picked up
            starts_from=start,
            starts_before=start + timedelta(days=1),
            page_size=20,
        )
    )
    attention = booking.list_reservations(ListReservations(needs_attention=True, page_size=20))
    overdue = booking.list_reservations(ListReservations(overdue=True, page_size=50))
    pending = booking.list_reservations(
        ListReservations(statuses=("PENDING", "REQUESTED"), page_size=1)
    ).total
    requested = booking.list_reservations(ListReservations(status="REQUESTED", page_size=1)).total
    types = CatalogFacade().get_equipment_type_summaries(
        {r.equipment_type_id for r in (*today.items, *attention.items, *overdue.items)}
    )
    now = utcnow()
    return render(
        "admin/dashboard.html",
        outbox=_outbox().stats(delivered=False),
        today=today,
        attention=attention,
        overdue=overdue,
        # Who has it (name and phone to call), and how late each is.
        overdue_people=CustomerFacade().get_customers({r.customer_id for r in overdue.items}),
        overdue_for={r.id: describe_age(r.period.end, now) for r in overdue.items},
        pending=pending,
        requested=requested,
        types=types,
    )


@bp.get("/outbox")
def outbox() -> Response:
    processor = _outbox()
    stats = processor.stats()
    return render(
        "admin/outbox.html",
        stats=stats,
        oldest_age=describe_age(stats.oldest_pending_at),
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
