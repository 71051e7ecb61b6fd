"""Booking pages: the customer's journey (availability → details → review → confirmation →
manage link) and the staff pages under /admin/reservations."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from bisect import bisect_right
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from rental.booking.application.availability import CheckAvailability
from rental.booking.application.commands import CreateReservation
from rental.booking.application.dto import StaffActions
from rental.booking.domain.models import ReservationStatus
from rental.booking.facade import BookingFacade, ListReservations
from rental.booking.forms import CUSTOMER_FIELDS, BookingRequest, from_period, parse
from rental.booking.limits import limit_confirmations, limit_holds
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.inventory import InventoryFacade, ReallocateItem, SetTurnaround
from rental.shared import local_time
from rental.shared.db import unit_of_work
from rental.shared.errors import (
    ConflictError,
    DomainError,
    NeedsConfirmation,
    NotFoundError,
    ValidationError,
)
from rental.shared.parsing import page_number, parse_date, parse_int
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import (
    confirm_warnings,
    confirmed_codes,
    current_actor,
    format_datetime,
    no_store,
    render,
)

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
        "errors": _details_errors({**req.errors, **errors}),
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
@limit_holds
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
                CreateReservation(
                    customer_id,
                    equipment.id,
                    req.period,
                    req.qty,
                    req.basis,
                    token,
                    origin_key=_origin_key(),
                )
            )
    except ValidationError as exc:
        errors = exc.errors or {"form": exc.message}
        context = _details_context(slug, req, values, errors)
        return render("booking/details.html", status=422, **context)
    except ConflictError as exc:
        context = _details_context(slug, req, values, {"form": exc.message})
        return render("booking/details.html", status=409, **context)
    reservation = booking.get_reservation(reservation_id)
    # A request (too large to book online) has nothing to confirm: straight to "we have it".
    step = (
        "booking.confirmed"
        if reservation.status is ReservationStatus.REQUESTED
        else "booking.review"
    )
    return redirect(url_for(step, reference=reservation.reference, token=token), code=303)


def _origin_key() -> str:
    """Where the request came from, for the cap on open bookings per network: a keyed hash of
    the client's address (the address itself is never stored)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(secret, b"booking-origin:" + address, hashlib.sha256).hexdigest()[:32]


def _details_errors(errors: dict[str, str]) -> dict[str, str]:
    """The details page has the customer's fields only: any other problem (the dates, the
    quantity, the customer account) is shown above the form, with a way back to the dates."""
    shown = {k: v for k, v in errors.items() if k in CUSTOMER_FIELDS or k == "form"}
    others = [v for k, v in errors.items() if k not in shown]
    if others:
        shown["form"] = " ".join(dict.fromkeys([shown.get("form", ""), *others])).strip()
    return shown


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
    if reservation.status is ReservationStatus.REQUESTED:
        return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)
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
@limit_confirmations
def confirm(reference: str, token: str) -> Response:
    booking, reservation, equipment = _own(reference, token)
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.REQUESTED):
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
    if reservation.status is ReservationStatus.PENDING:
        return redirect(url_for("booking.review", reference=reference, token=token), code=303)
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
    allocations = booking.inventory.list_allocations_for_reservation(reservation.id)
    holding = [a for a in allocations if a.status in ("ALLOCATED", "PICKED_UP", "RETURNED")]
    actions = StaffActions.of(reservation, [a.status for a in holding], utcnow())
    return render(
        "booking/admin/detail.html",
        reservation=reservation,
        equipment=equipment,
        customer=customer,
        allocations=holding,
        actions=actions,
        choices={
            a.id: booking.inventory.free_items_for(reservation.id, a.id)
            for a in holding
            if actions.reallocate and a.status == "ALLOCATED"
        },
        swaps=booking.swap_options(reservation.id) if actions.swap_type else [],
    )


def _act(reservation_id: str, action, success: str | None) -> Response:
    reservation_id = BookingFacade().get_reservation(reservation_id).id  # 404 if unknown
    try:
        action()
        if success:
            flash(success, "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("booking_admin.detail", reservation_id=reservation_id), code=303)


@admin_bp.post("/<reservation_id>/confirm")
def admin_confirm(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.confirm_reservation(reservation_id, approve=True),
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
    # The form says which items came back ("partial"); without it, everything did.
    returned = set(request.form.getlist("returned")) if request.form.get("partial") else None
    if returned is not None and not returned:
        flash("Tick the items that came back.", "warning")
        return redirect(url_for("booking_admin.detail", reservation_id=reservation_id), code=303)

    def take_back() -> None:
        still_out = booking.take_back(reservation_id, damaged, current_actor(), returned)
        if still_out:
            flash(
                f"Return recorded; {still_out} item{'s are' if still_out != 1 else ' is'} still "
                "out. The booking stays open until everything is back.",
                "warning",
            )
        else:
            flash("Equipment returned and reservation completed.", "success")

    return _act(reservation_id, take_back, None)


@admin_bp.post("/<reservation_id>/no-show")
def admin_no_show(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.mark_no_show(reservation_id),
        "Marked as a no-show; the equipment is free again.",
    )


@admin_bp.post("/<reservation_id>/retry-allocation")
def admin_retry_allocation(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)

    def retry() -> None:
        outcome = booking.inventory.replan(reservation.equipment_type_id)
        short = {s.reservation_id for s in (*outcome.newly_short, *outcome.still_short)}
        if reservation.id in short:
            flash("Still not enough items free for this booking.", "warning")
        else:
            flash("Items allocated.", "success")

    return _act(reservation_id, retry, None)


@admin_bp.post("/<reservation_id>/reallocate")
def admin_reallocate(reservation_id: str) -> Response:
    booking = BookingFacade()
    item_id = request.form.get("item_id") or None

    def reallocate() -> None:
        serial = booking.inventory.reallocate(
            ReallocateItem(reservation_id, request.form.get("allocation_id", ""), item_id)
        )
        flash(f"Now served by {serial}.", "success")

    return _act(reservation_id, reallocate, None)


@admin_bp.post("/<reservation_id>/swap-type")
def admin_swap_type(reservation_id: str) -> Response:
    booking = BookingFacade()
    type_id = request.form.get("equipment_type_id", "")
    return _act(
        reservation_id,
        lambda: booking.change_type(reservation_id, type_id),
        "Moved to the other equipment type; items are being allocated.",
    )


@admin_bp.post("/<reservation_id>/clear-attention")
def admin_clear_attention(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(reservation_id, lambda: booking.clear_attention(reservation_id), "Flag cleared.")


# --- open holds and requests --------------------------------------------------------------------

ORIGIN_PATTERN = re.compile(r"[0-9a-f]{32}")
OPEN_STATUSES = (ReservationStatus.PENDING.value, ReservationStatus.REQUESTED.value)


def _origin_filter(value: str | None) -> str | None:
    return value if value and ORIGIN_PATTERN.fullmatch(value) else None


@admin_bp.get("/holds")
def open_holds() -> Response:
    """Bookings waiting for confirmation, oldest first, so staff can spot a flood (many holds
    from one network) and clear it, and approve or decline requests."""
    booking = BookingFacade()
    origin = _origin_filter(request.args.get("origin"))
    page = booking.list_reservations(
        ListReservations(
            statuses=OPEN_STATUSES, origin_key=origin, oldest_first=True, page_size=100
        )
    )
    customers = CustomerFacade()
    people = {}
    for customer_id in {r.customer_id for r in page.items}:
        try:
            people[customer_id] = customers.get_customer_by_id(customer_id)
        except NotFoundError:
            continue
    types = CatalogFacade().get_equipment_type_summaries({r.equipment_type_id for r in page.items})
    return render(
        "booking/admin/holds.html",
        page=page,
        people=people,
        types=types,
        origin=origin,
        now=utcnow(),
    )


@admin_bp.post("/holds/cancel")
def cancel_holds() -> Response:
    booking = BookingFacade()
    origin = _origin_filter(request.form.get("origin"))
    back = (
        url_for("booking_admin.open_holds", origin=origin)
        if origin
        else url_for("booking_admin.open_holds")
    )
    chosen = [rid for rid in request.form.getlist("reservation_id") if rid][:100]
    if not chosen:
        flash("Tick the bookings to cancel first.", "warning")
        return redirect(back, code=303)
    reason = request.form.get("reason", "").strip() or "Hold cleared by staff"
    refused = booking.cancel_open_reservations(chosen, reason)
    done = len(chosen) - len(refused)
    message = f"Cancelled {done} booking{'s' if done != 1 else ''}."
    if refused:
        refs = booking.references(set(refused))
        message += " Not cancelled (changed meanwhile): " + ", ".join(
            sorted(refs.get(r, r) for r in refused)
        )
    flash(message, "success" if done else "warning")
    return redirect(back, code=303)


# --- fleet timeline ----------------------------------------------------------------------------

TIMELINE_DAYS = 14
ROW_HEIGHT = 26
LABEL_WIDTH = 150
CHART_WIDTH = 840
USAGE_HEIGHT = 90


class DayAxis:
    """The timeline's x axis: one equal column per calendar day of the business time zone, so
    a 23- or 25-hour day (a clock change) is one column like any other. Within a day, x is
    proportional to real time, so bars start and end where they really do."""

    def __init__(self, first_day: date, days: int, tz: tzinfo) -> None:
        self.days = [first_day + timedelta(days=i) for i in range(days + 1)]
        self.starts = [local_time.start_of_day(day, tz) for day in self.days]
        self.window = TimeRange(self.starts[0], self.starts[-1])
        self.width = CHART_WIDTH / days

    def x(self, moment: datetime) -> float:
        moment = min(max(moment, self.window.start), self.window.end)
        i = max(bisect_right(self.starts, moment) - 1, 0)
        if i >= len(self.starts) - 1:
            return float(LABEL_WIDTH + CHART_WIDTH)
        day = self.starts[i + 1] - self.starts[i]
        fraction = (moment - self.starts[i]) / day
        return round(LABEL_WIDTH + self.width * (i + fraction), 1)


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
    types = _all_types(catalog)
    if not types:
        return render("booking/admin/timeline.html", types=[], chart=None, selected=None)
    selected = request.args.get("type") or types[0].id
    if selected not in {t.id for t in types}:
        abort(404)
    tz = booking.policy.timezone
    today = utcnow().astimezone(tz).date()
    first_day = _first_day(request.args.get("from"), today)
    axis = DayAxis(first_day, TIMELINE_DAYS, tz)
    window = axis.window
    rows = booking.inventory.get_fleet_timeline(selected, window)
    usage = booking.usage_profile(selected, window)
    references = booking.references(
        {b.reservation_id for r in rows for b in r.bars if b.reservation_id}
    )
    chart = _chart(rows, usage, axis, tz, references)
    step = timedelta(days=TIMELINE_DAYS)
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


def _chart(rows, usage, axis: DayAxis, tz, references: dict[str, str]) -> dict[str, Any]:
    window = axis.window
    days = [
        {"x": axis.x(start), "label": day.strftime("%a %d"), "date": day.isoformat()}
        for day, start in zip(axis.days[:-1], axis.starts[:-1], strict=True)
    ]
    items = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        bars = [
            {
                "x": axis.x(bar.period.start),
                "w": max(axis.x(bar.period.end) - axis.x(bar.period.start), 2),
                "kind": bar.kind,
                "label": bar.label,
                "reservation_id": bar.reservation_id,
                "title": f"{references.get(bar.reservation_id, '')} {bar.label}: ".lstrip()
                + f"{format_datetime(bar.period.start)} – {format_datetime(bar.period.end)}",
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
        x1 = axis.x(point.at)
        x2 = axis.x(usage[i + 1].at) if i + 1 < len(usage) else axis.x(window.end)
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
