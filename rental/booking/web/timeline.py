"""The fleet timeline (/admin/reservations/timeline): per item its bookings, maintenance and
time out with customers, and booked units against capacity; the turnaround buffer form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for

from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import admin_bp
from rental.booking.web.staff import all_types
from rental.catalog import CatalogFacade
from rental.inventory import InventoryFacade, SetTurnaround
from rental.shared.charts import DayAxis, ValueScale, step_line
from rental.shared.errors import (
    DomainError,
    NeedsConfirmation,
    ValidationError,
)
from rental.shared.parsing import parse_date, parse_int
from rental.shared.time_range import utcnow
from rental.shared.web import (
    confirm_warnings,
    confirmed_codes,
    format_datetime,
    render,
)

ROW_HEIGHT = 26
LABEL_WIDTH = 150
CHART_WIDTH = 840
USAGE_HEIGHT = 90
SERIAL_CHARS = 18  # monospace serials that fit LABEL_WIDTH


def _first_day(raw: str | None, today: date) -> date:
    """The timeline's first day: `?from=YYYY-MM-DD` within five years of today, else today."""
    try:
        chosen = parse_date(raw, field="from", label="first day")
    except ValidationError:
        return today
    return chosen if chosen and abs((chosen - today).days) <= 5 * 366 else today


@admin_bp.get("/timeline")
def timeline() -> Response:
    booking = BookingFacade()
    catalog = CatalogFacade()
    types = all_types(catalog)
    if not types:
        return render("booking/admin/timeline.html", types=[], chart=None, selected=None)
    selected = request.args.get("type") or types[0].id
    if selected not in {t.id for t in types}:
        abort(404)
    tz = booking.policy.timezone
    today = utcnow().astimezone(tz).date()
    first_day = _first_day(request.args.get("from"), today)
    days = int(current_app.config.get("TIMELINE_DAYS", 14))
    axis = DayAxis(first_day, days, tz, left=LABEL_WIDTH, width=CHART_WIDTH)
    window = axis.window
    rows = InventoryFacade().get_fleet_timeline(selected, window)
    usage = booking.usage_profile(selected, window)
    references = booking.references(
        {b.reservation_id for r in rows for b in r.bars if b.reservation_id}
    )
    chart = _chart(rows, usage, axis, references)
    step = timedelta(days=days)
    return render(
        "booking/admin/timeline.html",
        types=types,
        selected=selected,
        chart=chart,
        window=window,
        first_day=first_day,
        last_day=first_day + step - timedelta(days=1),
        earlier=(first_day - step).isoformat(),
        later=(first_day + step).isoformat(),
        is_today=first_day == today,
        turnaround=int(booking.turnaround(selected).total_seconds() // 60),
    )


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _chart(rows, usage, axis: DayAxis, references: dict[str, str]) -> dict[str, Any]:
    items = []
    for index, row in enumerate(rows):
        bars = []
        for bar in row.bars:
            x, width = axis.span(bar.period)
            reference = references.get(bar.reservation_id, "")
            when = f"{format_datetime(bar.period.start)} – {format_datetime(bar.period.end)}"
            bars.append(
                {
                    "x": x,
                    "w": width,
                    "kind": bar.kind,
                    "label": bar.label,
                    "reservation_id": bar.reservation_id,
                    "title": f"{reference} {bar.label}: {when}".lstrip(),
                }
            )
        items.append(
            {
                "y": index * ROW_HEIGHT,
                "serial": row.serial_number,
                # What fits the label column; the whole serial is the text's tooltip.
                "serial_label": _fit(row.serial_number, SERIAL_CHARS),
                "status": row.status,
                "bars": bars,
            }
        )
    top = len(rows) * ROW_HEIGHT + 20
    peak = max([p.capacity for p in usage] + [p.usage for p in usage] + [1])
    scale = ValueScale(top, USAGE_HEIGHT, peak)
    return {
        "days": [
            {"x": x, "label": day.strftime("%a %d"), "date": day.isoformat()}
            for day, x in axis.columns()
        ],
        "items": items,
        "height": top + USAGE_HEIGHT + 30,
        "width": LABEL_WIDTH + CHART_WIDTH + 10,
        "usage_top": top,
        "usage_bottom": top + USAGE_HEIGHT,
        "usage": step_line([(p.at, p.usage) for p in usage], axis, scale),
        "capacity": step_line([(p.at, p.capacity) for p in usage], axis, scale),
        "peak": max((p.usage for p in usage), default=0),
        "max_capacity": max((p.capacity for p in usage), default=0),
        "over": any(p.usage > p.capacity for p in usage),
        "row_height": ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
    }


@admin_bp.post("/timeline/turnaround")
def set_turnaround() -> Response:
    # Back to the timeline of that type only when it exists: the redirect is built from the id
    # the catalog gave back, never from what the client sent.
    type_id = None
    try:
        type_id = CatalogFacade().get_equipment_type_details(request.form.get("type", "")).id
        minutes = parse_int(
            request.form.get("turnaround"),
            field="turnaround",
            label="buffer in minutes",
            minimum=0,
            maximum=7 * 24 * 60,
            example="120",
        )
        outcome = InventoryFacade().set_turnaround(
            SetTurnaround(type_id, minutes, confirmed_codes(request.form))
        )
        flash(f"Turnaround buffer saved. {outcome.summary()}".strip(), "success")
    except NeedsConfirmation as exc:
        return confirm_warnings(
            exc.warnings,
            title="Change the turnaround buffer?",
            action=url_for("booking_admin.set_turnaround"),
            fields=request.form.to_dict(),
            back=url_for("booking_admin.timeline", type=type_id),
        )
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("booking_admin.timeline", type=type_id), code=303)
