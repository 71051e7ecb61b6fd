"""The staff dashboard and the outbox page (dead letters can be inspected and replayed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest

from rental.shared import local_time
from rental.shared.charts import bar_chart, heat_map, percent, utilisation_share
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.outbox import OutboxProcessor
from rental.shared.parsing import parse_optional_int
from rental.shared.time_range import TimeRange, utcnow
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


UTILISATION_DAYS = 14


def day_window(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local calendar day, midnight to midnight (23 or 25 hours on a clock change)."""
    return local_time.start_of_day(day, tz), local_time.start_of_day(day + timedelta(days=1), tz)


REVENUE_DAYS = 30
TOP_CUSTOMERS = 5  # by lifetime value; the rest on /admin/crm/customers
HOLDS_SHOWN = 10  # the oldest holds and requests; the rest on the holds page
HEAT_MAP_TYPES = 100  # rows of the heat-map (by name; the timeline's type list has as many)


@bp.get("/")
def dashboard() -> Response:
    """What staff need first thing: today's pick-ups and returns, what is late or needs
    attention, open holds, how busy the fleet is for two weeks, the money taken, the outbox,
    and the customers worth most (CRM)."""
    from rental.booking import BookingFacade, ListReservations
    from rental.catalog import CatalogFacade
    from rental.crm import CRMFacade
    from rental.customers import CustomerFacade
    from rental.webhooks import WebhooksFacade

    booking = BookingFacade()
    tz = booking.policy.timezone
    now = utcnow()
    today_date = now.astimezone(tz).date()
    start, end = day_window(today_date, tz)
    today = booking.list_reservations(
        ListReservations(
            statuses=("CONFIRMED", "ON_HIRE"),  # on hire at some point today
            starts_from=start,
            starts_before=end,
            page_size=1,
        )
    )
    pick_ups = booking.list_reservations(
        ListReservations(statuses=("CONFIRMED", "ON_HIRE"), picks_up=(start, end), page_size=50)
    )
    returns = booking.list_reservations(
        ListReservations(statuses=("CONFIRMED", "ON_HIRE"), returns=(start, end), page_size=50)
    )
    attention = booking.list_reservations(ListReservations(needs_attention=True, page_size=20))
    overdue = booking.list_reservations(ListReservations(overdue=True, page_size=50))
    holds = booking.list_reservations(
        ListReservations(
            statuses=("PENDING", "REQUESTED"), oldest_first=True, page_size=HOLDS_SHOWN
        )
    )
    requested = booking.list_reservations(ListReservations(status="REQUESTED", page_size=1)).total
    listed = (*pick_ups.items, *returns.items, *attention.items, *overdue.items, *holds.items)
    catalog = CatalogFacade()
    types = catalog.get_equipment_type_summaries({r.equipment_type_id for r in listed})
    top = CRMFacade().get_high_value_customers(limit=TOP_CUSTOMERS)
    # One read of Customers for everyone the page names (with a phone to call).
    people = CustomerFacade().get_customers(
        {r.customer_id for r in (*pick_ups.items, *returns.items, *overdue.items, *holds.items)}
        | {c.customer_id for c in top.items}
    )
    stats = _outbox().stats(now, delivered=False)
    return render(
        "admin/dashboard.html",
        outbox=stats,
        outbox_oldest=describe_age(stats.oldest_pending_at, now),
        today=today,
        today_date=today_date,
        pick_ups=pick_ups,
        returns=returns,
        attention=attention,
        overdue=overdue,
        # Who has it (name and phone to call), and how late each is.
        people=people,
        overdue_people=people,
        overdue_for={r.id: describe_age(r.period.end, now) for r in overdue.items},
        pending=holds.total,
        holds=holds,
        requested=requested,
        top_customers=top,
        types=types,
        utilisation=_utilisation(booking, catalog, today_date, tz),
        revenue=_revenue(today_date, tz),
        # Endpoints the worker switched off after 24 hours of failures (one COUNT).
        webhooks_disabled=WebhooksFacade().count_disabled_automatically(),
    )


def _utilisation(booking: Any, catalog: Any, first: date, tz: tzinfo) -> dict[str, Any]:
    """The heat-map of the next UTILISATION_DAYS days: per type, the most units booked at once
    on each local day against its fleet."""
    from rental.catalog import SearchEquipmentTypes

    days = [first + timedelta(days=i) for i in range(UTILISATION_DAYS)]
    kinds = catalog.search_equipment_types(
        SearchEquipmentTypes(page_size=HEAT_MAP_TYPES, sort="name")
    ).items
    if not kinds:
        return {"days": days, "rows": [], "chart": None}
    windows = [TimeRange(*day_window(day, tz)) for day in days]
    found = booking.daily_utilisation([t.id for t in kinds], windows)
    rows = [(t.name, found[t.id].capacity, found[t.id].booked) for t in kinds if t.id in found]
    table = [
        (name, capacity, [(b, percent(utilisation_share(b, capacity))) for b in booked])
        for name, capacity, booked in rows
    ]
    return {"days": days, "rows": table, "chart": heat_map(days, rows)}


def _revenue(today: date, tz: tzinfo) -> dict[str, Any]:
    """Net money taken per day for the last REVENUE_DAYS days, and this month against last
    month (to date and whole), from one read of the ledger since the earlier of the two."""
    from rental.payments import PaymentsFacade

    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    last_month_start = last_month_end.replace(day=1)
    thirty_first = today - timedelta(days=REVENUE_DAYS - 1)
    currency = current_app.config.get("DEFAULT_CURRENCY", "EUR")
    revenue = PaymentsFacade().revenue_by_day(
        min(thirty_first, last_month_start), today, tz, currency
    )
    recent = [d for d in revenue.days if d.day >= thirty_first]
    same_day = min(today.day, last_month_end.day)
    months = {
        "this": revenue.total(first_of_month, today),
        "last_to_date": revenue.total(last_month_start, last_month_start.replace(day=same_day)),
        "last": revenue.total(last_month_start, last_month_end),
        "this_label": first_of_month.strftime("%B"),
        "last_label": last_month_start.strftime("%B"),
        "day": today.day,
    }
    bars = [
        (
            f"{d.day.day} {d.day:%b}",
            float(d.net.amount),
            f"{d.day.strftime('%a %d %b')}: {d.net.format()}",
        )
        for d in recent
    ]
    symbol = Money.zero(currency).format().replace("0.00", "").strip()

    def tick_label(value: float) -> str:
        return f"{symbol}{value:,.0f}" if value == int(value) else f"{symbol}{value:,.2f}"

    compare = [
        (
            f"{months['last_label']} 1–{same_day}",
            float(months["last_to_date"].amount),
            f"{months['last_label']} 1–{same_day}: {months['last_to_date'].format()}",
        ),
        (
            f"{months['this_label']} 1–{today.day}",
            float(months["this"].amount),
            f"{months['this_label']} 1–{today.day}: {months['this'].format()}",
        ),
        (
            f"{months['last_label']} (whole)",
            float(months["last"].amount),
            f"{months['last_label']}, whole month: {months['last'].format()}",
        ),
    ]
    return {
        "days": recent,
        "empty": all(d.net.is_zero for d in recent),
        "total": sum((d.net for d in recent), Money.zero(currency)),
        "others": revenue.other_currencies,
        "months": months,
        "chart": bar_chart(bars, label_every=5, tick_label=tick_label),
        "compare": bar_chart(compare, width=480, height=200, left=64, tick_label=tick_label),
    }


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
