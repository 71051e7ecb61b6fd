"""The customer's journey: availability → details → review → confirmation → manage link.
Everything works with plain form posts; htmx swaps only the parts that change."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Response, current_app, flash, redirect, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from rental.booking.application.commands import BookOnline
from rental.booking.application.queries import CheckAvailability
from rental.booking.domain.models import Reservation, ReservationStatus
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import bp
from rental.booking.web.forms import CUSTOMER_FIELDS, BookingRequest, from_period, parse
from rental.booking.web.limits import limit_confirmations, limit_holds
from rental.catalog import CatalogFacade
from rental.crm import CRMFacade
from rental.customers import CustomerDetailsInput
from rental.inventory import InventoryFacade
from rental.payments import PaymentsFacade
from rental.shared.db import reads_only
from rental.shared.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
)
from rental.shared.parsing import parse_decimal
from rental.shared.web import (
    no_store,
    render,
)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
TOKEN_FORM_MAX_AGE = 24 * 3600  # a details form older than a day gets a new token

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
    "booking.change_form_customer",
    "booking.change_customer",
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
@reads_only
def availability(slug: str) -> Response:
    equipment = _type_or_404(slug)
    booking = BookingFacade()
    submitted = bool(request.args)
    req = parse(request.args, booking.policy, booking.now(), booking.opening_hours)
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
        search_days=booking.policy.search_horizon.days,
        earliest_day=booking.policy.earliest_day(booking.now()),
        same_day_note=booking.policy.same_day_note(booking.now()),
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
    req = parse(request.args, booking.policy, booking.now(), booking.opening_hours)
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
    req = parse(request.form, booking.policy, booking.now(), booking.opening_hours)
    values = {name: request.form.get(name, "").strip() for name in CUSTOMER_FIELDS}
    errors: dict[str, str] = {}
    if req.errors or req.period is None:
        context = _details_context(slug, req, values, {})
        return render("booking/details.html", status=422, **context)
    equipment = _type_or_404(slug)
    token = _booking_token(request.form.get("booking_token", ""))
    try:
        reference = booking.book_online(
            BookOnline(
                CustomerDetailsInput(**values),
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
    # The review page sends a request (too large to book online, nothing to confirm) on to
    # "we have it".
    return redirect(url_for("booking.review", reference=reference, token=token), code=303)


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


def _own(reference: str, token: str):
    booking = BookingFacade()
    reservation = booking.get_reservation_for_customer(reference, token)
    equipment = CatalogFacade().get_equipment_type_details(reservation.equipment_type_id)
    return booking, reservation, equipment


@dataclass(frozen=True, slots=True)
class LineView:
    """A line of an order as the customer's pages show it."""

    reservation: Reservation
    name: str
    slug: str
    kit_name: str | None


def _order_view(booking: BookingFacade, reservation: Reservation) -> dict[str, Any]:
    """The order the reservation is the first line of, and its lines with their names, for
    the pages that show an order of several lines (a one-line order shows as it always did)."""
    order = booking.get_order(reservation.order_id)
    if not order.several:
        return {"order": order, "order_lines": []}
    catalog = CatalogFacade()
    kits: dict[str, str] = {}
    lines = []
    for line in order.lines:
        details = catalog.get_equipment_type_details(line.equipment_type_id)
        kit_name = None
        if line.kit_id:
            if line.kit_id not in kits:
                try:
                    kits[line.kit_id] = catalog.get_kit(line.kit_id).name
                except NotFoundError:
                    kits[line.kit_id] = "Kit"
            kit_name = kits[line.kit_id]
        lines.append(LineView(line, details.name, details.slug, kit_name))
    return {"order": order, "order_lines": lines}


@bp.get("/book/review/<reference>/<token>")
def review(reference: str, token: str) -> Response:
    booking, reservation, equipment = _own(reference, token)
    if reservation.status is ReservationStatus.REQUESTED:
        return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)
    if reservation.status is not ReservationStatus.PENDING:
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    return render(
        "booking/review.html",
        reservation=reservation,
        equipment=equipment,
        token=token,
        hold_live=reservation.hold_is_live(booking.now()),
        actions=booking.customer_actions(reservation),
        **_order_view(booking, reservation),
    )


@bp.post("/book/review/<reference>/<token>")
@limit_confirmations
def confirm(reference: str, token: str) -> Response:
    booking, reservation, equipment = _own(reference, token)
    if reservation.status in (
        ReservationStatus.CONFIRMED,
        ReservationStatus.ON_HIRE,
        ReservationStatus.REQUESTED,
    ):
        return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)
    try:
        booking.confirm_reservation(reservation.id)
    except (ConflictError, ValidationError) as exc:
        now_reservation = booking.get_reservation(reservation.id)
        view = _order_view(booking, now_reservation)
        return render(
            "booking/review.html",
            status=409,
            actions=booking.customer_actions(now_reservation),
            reservation=now_reservation,
            equipment=equipment,
            token=token,
            hold_live=False,
            error=exc.message,
            again_url=_again_url(booking, reservation, equipment)
            if view["order_lines"] == []
            else url_for("storefront.catalog", **_period_params(booking, reservation)),
            **view,
        )
    return redirect(url_for("booking.confirmed", reference=reference, token=token), code=303)


@bp.get("/book/confirmed/<reference>/<token>")
def confirmed(reference: str, token: str) -> Response:
    booking, reservation, equipment = _own(reference, token)
    if reservation.status is ReservationStatus.PENDING:
        return redirect(url_for("booking.review", reference=reference, token=token), code=303)
    manage_url = url_for("booking.manage", reference=reference, token=token, _external=True)
    return render(
        "booking/confirmed.html",
        actions=booking.customer_actions(reservation),
        reservation=reservation,
        equipment=equipment,
        manage_url=manage_url,
        **_order_view(booking, reservation),
    )


def _period_params(booking: BookingFacade, reservation) -> dict[str, Any]:
    """The booking's dates as the catalog's period fields (dates-first browsing)."""
    params = from_period(reservation.period, reservation.basis, 1, booking.policy.timezone)
    return {k: v for k, v in params.items() if k != "quantity"}


def _again_url(booking: BookingFacade, reservation, equipment) -> str:
    """The availability form filled with the booking's type, dates and quantity."""
    params = from_period(
        reservation.period, reservation.basis, reservation.quantity, booking.policy.timezone
    )
    return url_for("booking.availability", slug=equipment.slug, **params)


def _manage_context(reference: str, token: str) -> dict[str, Any]:
    booking, reservation, equipment = _own(reference, token)
    allocations = InventoryFacade().list_allocations_for_reservation(reservation.id)
    waiting = reservation.status is ReservationStatus.CONFIRMED and not allocations
    expired = reservation.status is ReservationStatus.EXPIRED
    view = _order_view(booking, reservation)
    if view["order_lines"]:
        allocations = [
            a
            for line in view["order"].lines[1:]
            for a in InventoryFacade().list_allocations_for_reservation(line.id)
        ] + list(allocations)
    actions = booking.customer_actions(reservation)
    return {
        **view,
        # What was charged and paid so far (Payments' ledger: none before confirmation).
        "ledger": PaymentsFacade().get_ledger(view["order"].id),
        "removable": _removable(view["order_lines"]) if actions.cancel else set(),
        # Several lines: the number of an equipment type's line can be changed on its own.
        "change_lines": {
            v.reservation.id
            for v in view["order_lines"]
            if not v.reservation.kit_id and v.reservation.status is not ReservationStatus.CANCELLED
        }
        if actions.change
        else set(),
        "reservation": reservation,
        # The customer's "E-mails and messages" (booking/web/preferences.py; CRM keeps them).
        "contact_preferences": CRMFacade().get_preferences(reservation.customer_id),
        "actions": actions,
        "equipment": equipment,
        "allocations": allocations,
        "token": token,
        "waiting_for_allocation": waiting and not reservation.needs_attention,
        # An expired booking: its dates again while they can be booked, else new dates.
        "book_again_url": _again_url(booking, reservation, equipment)
        if booking.may_book_again(reservation) and not view["order_lines"]
        else None,
        # Several lines: "book again" puts them into the cart (a POST: it changes the session).
        "refill_cart": expired and bool(view["order_lines"]),
        "new_dates_url": url_for(
            "booking.availability",
            slug=equipment.slug,
            basis=reservation.basis.value.lower(),
            quantity=reservation.quantity,
        )
        if expired and equipment.active and not view["order_lines"]
        else None,
    }


@bp.get("/r/<reference>")
def manage_without_token(reference: str) -> Response:
    """A manage link cut short (the private part after the reference is missing)."""
    raise NotFoundError(
        "This booking link is incomplete: the private part after the booking reference is "
        "missing. Open the full link from your booking confirmation, or call us with your "
        "reference."
    )


@bp.get("/r/<reference>/<token>")
def manage(reference: str, token: str) -> Response:
    return render("booking/manage.html", "status", **_manage_context(reference, token))


@bp.get("/r/<reference>/<token>/cancel")
def cancel_form(reference: str, token: str) -> Response:
    context = _manage_context(reference, token)
    actions = context["actions"]
    if not actions.cancel:
        flash(
            " ".join(
                ["This booking can no longer be cancelled online.", actions.cancellation_rule]
            ).strip(),
            "warning",
        )
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    # The exact fee, by the rule the cancellation charges with (Payments' policy).
    context["cancellation"] = BookingFacade().cancellation_preview(
        context["reservation"].id, whole_order=True
    )
    return render("booking/cancel.html", **context)


@bp.post("/r/<reference>/<token>/cancel")
def cancel(reference: str, token: str) -> Response:
    """The cancel page's "Yes, cancel" (the confirm step; works without JavaScript). Refused
    after the start, or once the equipment is out: the manage page again, with why (409)."""
    booking, reservation, _ = _own(reference, token)
    reason = request.form.get("reason", "").strip() or "Cancelled by the customer"
    try:
        booking.cancel_by_customer(reservation.id, reason[:500], seen_fee=_seen_fee())
    except ConflictError as exc:
        context = _manage_context(reference, token)
        return render("booking/manage.html", status=409, error=exc.message, **context)
    flash(f"Booking {reservation.reference} is cancelled. Nothing more to do.", "success")
    return redirect(url_for("booking.manage", reference=reference, token=token), code=303)


def _seen_fee() -> Decimal | None:
    """The fee the cancel (or remove-an-item) page showed (None from a form without it:
    no check)."""
    try:
        return parse_decimal(
            request.form.get("seen_fee"),
            field="seen_fee",
            label="fee",
            minimum=Decimal(0),
            maximum=Decimal(10_000_000),
            places=4,
        )
    except ValidationError:
        return None


def _removable(lines: list[LineView]) -> set[str]:
    """The lines the manage page offers to remove: one per item still booked (a kit's first
    line stands for the kit) — none when only one item is left (that is cancelling)."""
    firsts: dict[str, str] = {}
    for view in lines:
        r = view.reservation
        if r.status is not ReservationStatus.CANCELLED:
            firsts.setdefault(r.kit_id or r.id, r.id)
    return set(firsts.values()) if len(firsts) > 1 else set()
