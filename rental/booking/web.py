"""Booking pages: the customer's journey (availability → details → review → confirmation →
manage link) and the staff pages under /admin/reservations."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from rental.booking.application.availability import CheckAvailability
from rental.booking.application.commands import CreateReservation
from rental.booking.domain.models import ReservationStatus
from rental.booking.facade import BookingFacade, ListReservations
from rental.booking.forms import CUSTOMER_FIELDS, BookingRequest, from_period, parse
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import ConflictError, DomainError, NotFoundError, ValidationError
from rental.shared.parsing import page_number, parse_date, parse_int
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import current_actor, no_store, render

bp = Blueprint("booking", __name__)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
TOKEN_FORM_MAX_AGE = 24 * 3600  # a details form older than a day gets a new token
admin_bp = Blueprint("booking_admin", __name__, url_prefix="/admin/reservations")

# Pages whose address or form carries a manage token: never stored by a browser or proxy cache.
TOKEN_PAGES = {
    "booking.details",
    "booking.submit_details",
    "booking.review",
    "booking.confirm",
    "booking.confirmed",
    "booking.manage",
    "booking.cancel_form",
    "booking.cancel",
}


@bp.after_request
def _no_store_token_pages(response: Response) -> Response:
    return no_store(response) if request.endpoint in TOKEN_PAGES else response


# --- the customer's journey -------------------------------------------------------------------


def _type_or_404(slug: str):
    details = CatalogFacade().get_equipment_type_by_slug(slug)
    if not details.active:
        raise NotFoundError(f"{details.name} is not offered at the moment.")
    return details


def _check(booking: BookingFacade, equipment, req: BookingRequest):
    """Run CheckAvailability for a parsed request; validation problems go into req.errors."""
    if req.errors or req.period is None:
        return None
    try:
        return booking.check_availability(
            CheckAvailability(equipment.id, req.period, req.qty, req.basis)
        )
    except ValidationError as exc:
        req.errors.update(exc.errors or {"form": exc.message})
    return None


def _suggestions(result, req: BookingRequest, booking: BookingFacade) -> dict[str, Any]:
    """Alternatives as ready-made query strings that refill the form."""
    if result is None or result.alternatives is None:
        return {}
    alt = result.alternatives
    tz = booking.policy.timezone
    out: dict[str, Any] = {}
    if 0 < alt.max_quantity < req.qty:
        out["fewer"] = req.params(quantity=alt.max_quantity)
    if alt.earliest_period is not None:
        out["later"] = from_period(alt.earliest_period, req.basis, req.qty, tz)
        out["later_period"] = alt.earliest_period
    out["similar"] = [(option, req.params()) for option in alt.similar]
    return out


@bp.get("/book/<slug>")
def availability(slug: str) -> Response:
    equipment = _type_or_404(slug)
    booking = BookingFacade()
    submitted = bool(request.args)
    req = parse(request.args, booking.policy, utcnow())
    # Answer first: even before anything is typed, the default dates get an answer.
    result = _check(booking, equipment, req)
    status = 422 if req.errors and submitted else 200
    # An htmx form change asks for the result panel only; a suggestion asks for form + panel.
    block = (
        request.args.get("_block")
        if request.args.get("_block") in ("result", "availability")
        else "result"
    )
    return render(
        "booking/availability.html",
        block,
        status=status,
        equipment=equipment,
        req=req,
        result=result,
        submitted=submitted,
        suggestions=_suggestions(result, req, booking),
    )


def _details_context(
    slug: str, req: BookingRequest, values: dict[str, str], errors: dict[str, str]
):
    equipment = _type_or_404(slug)
    booking = BookingFacade()
    result = _check(booking, equipment, req)
    return {
        "equipment": equipment,
        "req": req,
        "result": result,
        "values": values,
        "errors": {**req.errors, **errors},
        "booking_token": _sign_token(_booking_token(request.form.get("booking_token", ""))),
    }


@bp.get("/book/<slug>/details")
def details(slug: str) -> Response:
    booking = BookingFacade()
    req = parse(request.args, booking.policy, utcnow())
    context = _details_context(slug, req, {}, {})
    if req.errors or context["result"] is None:
        flash("Please check your dates first.", "warning")
        # Back to the form with what was typed (each value capped; URL-encoded into our own
        # page's query) and the type's slug as the catalog knows it.
        typed = {name: value[:40] for name, value in req.params().items()}
        target = url_for("booking.availability", slug=context["equipment"].slug, **typed)
        return redirect(target, code=303)
    return render("booking/details.html", **context)


@bp.post("/book/<slug>/details")
def submit_details(slug: str) -> Response:
    booking = BookingFacade()
    req = parse(request.form, booking.policy, utcnow())
    values = {name: request.form.get(name, "").strip() for name in CUSTOMER_FIELDS}
    errors: dict[str, str] = {}
    if req.errors or req.period is None:
        context = _details_context(slug, req, values, {})
        return render("booking/details.html", status=422, **context)
    equipment = _type_or_404(slug)
    customers = CustomerFacade()
    token = _booking_token(request.form.get("booking_token", ""))
    try:
        # One transaction: if the hold cannot be made, no customer record is left behind.
        with unit_of_work():
            customer_id = customers.ensure_customer(_customer_input(values))
            reservation_id = booking.create_reservation(
                CreateReservation(customer_id, equipment.id, req.period, req.qty, req.basis, token)
            )
    except ValidationError as exc:
        errors = exc.errors or {"form": exc.message}
        if "customer" in errors:
            errors["form"] = errors.pop("customer")
        context = _details_context(slug, req, values, errors)
        return render("booking/details.html", status=422, **context)
    except ConflictError as exc:
        context = _details_context(slug, req, values, {"form": exc.message})
        return render("booking/details.html", status=409, **context)
    reservation = booking.get_reservation(reservation_id)
    return redirect(
        url_for("booking.review", reference=reservation.reference, token=token), code=303
    )


def _token_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="rentkit.booking-token")


def _sign_token(token: str) -> str:
    return _token_serializer().dumps(token)


def _booking_token(submitted: str) -> str:
    """The manage token for this booking. The server makes every token: the details form
    carries the one issued with it, signed, so sending the form twice is still one booking;
    a token the server did not sign (or older than a day) is never used — a fresh one is."""
    if submitted and len(submitted) <= 200:
        try:
            token = _token_serializer().loads(submitted, max_age=TOKEN_FORM_MAX_AGE)
        except BadData:
            token = None
        if isinstance(token, str) and TOKEN_PATTERN.fullmatch(token):
            return token
    return secrets.token_urlsafe(24)


def _customer_input(values: dict[str, str]):
    from rental.customers import CustomerDetailsInput

    return CustomerDetailsInput(**values)


def _own(reference: str, token: str):
    booking = BookingFacade()
    reservation = booking.get_reservation_for_customer(reference, token)
    equipment = CatalogFacade().get_equipment_type_details(reservation.equipment_type_id)
    return booking, reservation, equipment


@bp.get("/book/review/<reference>/<token>")
def review(reference: str, token: str) -> Response:
    _booking, reservation, equipment = _own(reference, token)
    if reservation.status is not ReservationStatus.PENDING:
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    return render(
        "booking/review.html",
        reservation=reservation,
        equipment=equipment,
        token=token,
        hold_live=reservation.hold_expires_at is not None
        and utcnow() < reservation.hold_expires_at,
    )


@bp.post("/book/review/<reference>/<token>")
def confirm(reference: str, token: str) -> Response:
    booking, reservation, equipment = _own(reference, token)
    if reservation.status is ReservationStatus.CONFIRMED:
        return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)
    try:
        booking.confirm_reservation(reservation.id)
    except (ConflictError, ValidationError) as exc:
        return render(
            "booking/review.html",
            status=409,
            reservation=booking.get_reservation(reservation.id),
            equipment=equipment,
            token=token,
            hold_live=False,
            error=exc.message,
        )
    return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)


@bp.get("/book/confirmed/<reference>/<token>")
def confirmed(reference: str, token: str) -> Response:
    _booking, reservation, equipment = _own(reference, token)
    manage_url = url_for("booking.manage", reference=reference, token=token, _external=True)
    return render(
        "booking/confirmed.html",
        reservation=reservation,
        equipment=equipment,
        manage_url=manage_url,
    )


def _manage_context(reference: str, token: str) -> dict[str, Any]:
    booking, reservation, equipment = _own(reference, token)
    allocations = booking.inventory.list_allocations_for_reservation(reservation.id)
    waiting = reservation.status is ReservationStatus.CONFIRMED and not allocations
    return {
        "reservation": reservation,
        "equipment": equipment,
        "allocations": allocations,
        "token": token,
        "waiting_for_allocation": waiting and not reservation.needs_attention,
    }


@bp.get("/r/<reference>/<token>")
def manage(reference: str, token: str) -> Response:
    return render("booking/manage.html", "status", **_manage_context(reference, token))


@bp.get("/r/<reference>/<token>/cancel")
def cancel_form(reference: str, token: str) -> Response:
    context = _manage_context(reference, token)
    if not context["reservation"].can_cancel:
        flash("This booking can no longer be cancelled.", "warning")
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    return render("booking/cancel.html", **context)


@bp.post("/r/<reference>/<token>/cancel")
def cancel(reference: str, token: str) -> Response:
    booking, reservation, _ = _own(reference, token)
    reason = request.form.get("reason", "").strip() or "Cancelled by the customer"
    booking.cancel_reservation(reservation.id, reason[:500])
    flash(f"Booking {reservation.reference} is cancelled. Nothing more to do.", "success")
    return redirect(url_for("booking.manage", reference=reference, token=token), code=303)


# --- staff pages -------------------------------------------------------------------------------


STATUSES = [s.value for s in ReservationStatus]


def _filter_day(args: Any, name: str, label: str, problems: list[str]):
    try:
        return parse_date(args.get(name), field=name, label=label)
    except ValidationError as exc:
        problems.append(f"{exc.message} The filter was left out.")
        return None


@admin_bp.get("/")
def list_reservations() -> Response:
    booking = BookingFacade()
    tz = booking.policy.timezone
    args = request.args
    status = args.get("status") if args.get("status") in STATUSES else None
    problems: list[str] = []
    day_from = _filter_day(args, "from", "'from' day", problems)
    day_to = _filter_day(args, "to", "'to' day", problems)
    catalog = CatalogFacade()
    page = booking.list_reservations(
        ListReservations(
            status=status,
            equipment_type_id=args.get("type") or None,
            starts_from=datetime.combine(day_from, datetime.min.time(), tz) if day_from else None,
            starts_before=datetime.combine(day_to + timedelta(days=1), datetime.min.time(), tz)
            if day_to
            else None,
            needs_attention=True if args.get("attention") == "1" else None,
            reference=args.get("q", "").strip()[:40] or None,
            page=page_number(args.get("page")),
        )
    )
    types = catalog.get_equipment_type_summaries({r.equipment_type_id for r in page.items})
    filters = {k: v for k, v in args.items() if k != "page" and v}
    return render(
        "booking/admin/list.html",
        "results",
        page=page,
        types=types,
        all_types=_all_types(catalog),
        filters=filters,
        statuses=STATUSES,
        problems=problems,
    )


def _all_types(catalog: CatalogFacade):
    from rental.catalog import SearchEquipmentTypes

    return catalog.search_equipment_types(SearchEquipmentTypes(page_size=100, sort="name")).items


@admin_bp.get("/<reservation_id>")
def detail(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)
    equipment = CatalogFacade().get_equipment_type_details(reservation.equipment_type_id)
    try:
        customer = CustomerFacade().get_customer_by_id(reservation.customer_id)
    except NotFoundError:
        customer = None
    return render(
        "booking/admin/detail.html",
        reservation=reservation,
        equipment=equipment,
        customer=customer,
        allocations=booking.inventory.list_allocations_for_reservation(reservation.id),
    )


def _act(reservation_id: str, action, success: str) -> Response:
    reservation_id = BookingFacade().get_reservation(reservation_id).id  # 404 if unknown
    try:
        action()
        flash(success, "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("booking_admin.detail", reservation_id=reservation_id), code=303)


@admin_bp.post("/<reservation_id>/confirm")
def admin_confirm(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.confirm_reservation(reservation_id),
        "Reservation confirmed.",
    )


@admin_bp.post("/<reservation_id>/cancel")
def admin_cancel(reservation_id: str) -> Response:
    booking = BookingFacade()
    reason = request.form.get("reason", "").strip() or f"Cancelled by staff ({current_actor()})"
    return _act(
        reservation_id,
        lambda: booking.cancel_reservation(reservation_id, reason),
        "Reservation cancelled.",
    )


@admin_bp.post("/<reservation_id>/hand-over")
def admin_hand_over(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.hand_over(reservation_id, current_actor()),
        "Marked as picked up.",
    )


@admin_bp.post("/<reservation_id>/take-back")
def admin_take_back(reservation_id: str) -> Response:
    booking = BookingFacade()
    damaged = {
        item_id: (request.form.get(f"damage_{item_id}") or "Damaged on return").strip()
        for item_id in request.form.getlist("damaged")
    }
    return _act(
        reservation_id,
        lambda: booking.take_back(reservation_id, damaged, current_actor()),
        "Equipment returned and reservation completed.",
    )


@admin_bp.post("/<reservation_id>/clear-attention")
def admin_clear_attention(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(reservation_id, lambda: booking.clear_attention(reservation_id), "Flag cleared.")


# --- fleet timeline ----------------------------------------------------------------------------

TIMELINE_DAYS = 14
ROW_HEIGHT = 26
LABEL_WIDTH = 150
CHART_WIDTH = 840
USAGE_HEIGHT = 90


def _x(moment: datetime, window: TimeRange) -> float:
    span = window.duration.total_seconds()
    offset = (min(max(moment, window.start), window.end) - window.start).total_seconds()
    return round(LABEL_WIDTH + CHART_WIDTH * offset / span, 1)


@admin_bp.get("/timeline")
def timeline() -> Response:
    booking = BookingFacade()
    catalog = CatalogFacade()
    types = _all_types(catalog)
    if not types:
        return render("booking/admin/timeline.html", types=[], chart=None, selected=None)
    selected = request.args.get("type") or types[0].id
    if selected not in {t.id for t in types}:
        abort(404)
    tz = booking.policy.timezone
    today = utcnow().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    window = TimeRange(today, today + timedelta(days=TIMELINE_DAYS))
    rows = booking.inventory.get_fleet_timeline(selected, window)
    usage = booking.usage_profile(selected, window)
    references = booking.references(
        {b.reservation_id for r in rows for b in r.bars if b.reservation_id}
    )
    chart = _chart(rows, usage, window, tz, references)
    return render(
        "booking/admin/timeline.html",
        types=types,
        selected=selected,
        chart=chart,
        window=window,
        turnaround=int(booking.turnaround(selected).total_seconds() // 60),
    )


def _chart(rows, usage, window: TimeRange, tz, references: dict[str, str]) -> dict[str, Any]:
    days = []
    for i in range(TIMELINE_DAYS):
        day = window.start + timedelta(days=i)
        days.append({"x": _x(day, window), "label": day.astimezone(tz).strftime("%a %d")})
    items = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        bars = [
            {
                "x": _x(bar.period.start, window),
                "w": max(_x(bar.period.end, window) - _x(bar.period.start, window), 2),
                "kind": bar.kind,
                "label": bar.label,
                "reservation_id": bar.reservation_id,
                "title": f"{references.get(bar.reservation_id, '')} {bar.label}: ".lstrip()
                + f"{bar.period.start.astimezone(tz):%a %d %b %H:%M} – "
                f"{bar.period.end.astimezone(tz):%a %d %b %H:%M}",
            }
            for bar in row.bars
        ]
        items.append({"y": y, "serial": row.serial_number, "status": row.status, "bars": bars})
    top = len(rows) * ROW_HEIGHT + 20
    peak_cap = max([p.capacity for p in usage] + [p.usage for p in usage] + [1])
    scale = USAGE_HEIGHT / peak_cap

    def y_of(value: int) -> float:
        return round(top + USAGE_HEIGHT - value * scale, 1)

    usage_points, capacity_points = [], []
    for i, point in enumerate(usage):
        x1 = _x(point.at, window)
        x2 = _x(usage[i + 1].at, window) if i + 1 < len(usage) else _x(window.end, window)
        usage_points += [f"{x1},{y_of(point.usage)}", f"{x2},{y_of(point.usage)}"]
        capacity_points += [f"{x1},{y_of(point.capacity)}", f"{x2},{y_of(point.capacity)}"]
    over = any(p.usage > p.capacity for p in usage)
    return {
        "days": days,
        "items": items,
        "height": top + USAGE_HEIGHT + 30,
        "width": LABEL_WIDTH + CHART_WIDTH + 10,
        "usage_top": top,
        "usage_bottom": top + USAGE_HEIGHT,
        "usage": " ".join(usage_points),
        "capacity": " ".join(capacity_points),
        "peak": max((p.usage for p in usage), default=0),
        "max_capacity": max((p.capacity for p in usage), default=0),
        "over": over,
        "row_height": ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
    }


@admin_bp.post("/timeline/turnaround")
def set_turnaround() -> Response:
    booking = BookingFacade()
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
        booking.set_turnaround(type_id, minutes)
        flash("Turnaround buffer saved.", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("booking_admin.timeline", type=type_id), code=303)
