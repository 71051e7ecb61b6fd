"""Changing a booking's period or quantity: the staff page (/admin/reservations/<id>/change)
and the customer's manage link (/r/<reference>/<token>/change). Three steps, plain form posts:
the form (the booking as it is), the preview (old and new period, quantity and total and the
difference; nothing is written), and the confirmation, which changes it — or says why not,
with the form again."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for

from rental.booking.application.commands import ChangeReservation
from rental.booking.domain.models import Reservation, ReservationStatus
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import admin_bp, bp
from rental.booking.web.forms import from_period, parse
from rental.catalog import CatalogFacade
from rental.shared.errors import DomainError, NotFoundError
from rental.shared.parsing import parse_int
from rental.shared.web import render

FORM_FIELDS = ("start", "end", "start_date", "end_date", "quantity")


def _values(reservation: Reservation, booking: BookingFacade) -> dict[str, str]:
    """The form filled with the booking as it is."""
    return from_period(
        reservation.period, reservation.basis, reservation.quantity, booking.policy.timezone
    )


def _page(
    booking: BookingFacade,
    reservation: Reservation,
    *,
    audience: str,
    urls: dict[str, str],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    preview=None,
    suggest_quantity: int | None = None,
    status: int = 200,
) -> Response:
    equipment = CatalogFacade().get_equipment_type_details(reservation.equipment_type_id)
    return render(
        "booking/admin/change.html" if audience == "staff" else "booking/change.html",
        status=status,
        audience=audience,
        reservation=reservation,
        equipment=equipment,
        values=values or _values(reservation, booking),
        errors=errors or {},
        error=error,
        preview=preview,
        end_only=reservation.on_hire,
        dates_only=_dates_only(booking, reservation, audience),
        suggest_quantity=suggest_quantity,
        urls=urls,
    )


def _dates_only(booking: BookingFacade, reservation: Reservation, audience: str) -> bool:
    """A customer changing an order of several lines changes its dates (every line moves)
    — and the number of one line when they chose that line (`line`)."""
    if audience != "customer" or request.values.get("line"):
        return False
    return booking.get_order(reservation.order_id).several


def _handle(
    booking: BookingFacade, reservation: Reservation, *, by_customer: bool, urls: dict[str, str]
) -> Response:
    """The posted form: `step=preview` shows the change, `step=confirm` makes it."""
    audience = "customer" if by_customer else "staff"
    form = request.form
    values = {name: str(form.get(name, ""))[:40] for name in FORM_FIELDS}
    values["basis"] = reservation.basis.value.lower()
    if reservation.on_hire:
        # Only the end moves: the start is the booking's own, whatever was sent.
        own = _values(reservation, booking)
        values |= {name: own[name] for name in ("start", "start_date") if name in own}
    if _dates_only(booking, reservation, audience):
        values["quantity"] = str(reservation.quantity)  # whatever was sent
    req = parse(values, booking.policy, booking.now(), booking.opening_hours)
    errors = dict(req.errors)
    if errors or req.period is None:
        return _page(
            booking,
            reservation,
            audience=audience,
            urls=urls,
            values=values,
            errors=errors or {"start": "Enter the period."},
            status=422,
        )
    cmd = ChangeReservation(reservation.id, req.period, req.qty, by_customer=by_customer)
    if form.get("step") != "confirm":
        preview = booking.preview_change(cmd)
        if not preview.fits:
            return _page(
                booking,
                reservation,
                audience=audience,
                urls=urls,
                values=values,
                errors={preview.field: preview.problem} if preview.field else {},
                error=preview.problem,
                # Short of units: the change with the units that are free, one click away.
                suggest_quantity=preview.free
                if preview.new_total is not None and 0 < preview.free < cmd.quantity
                else None,
                status=409 if preview.new_total is not None else 422,
            )
        return _page(
            booking, reservation, audience=audience, urls=urls, values=values, preview=preview
        )
    try:
        expected = parse_int(
            str(form.get("version", "")), field="version", label="version", minimum=0, maximum=2**31
        )
        changed = booking.change_reservation(
            ChangeReservation(
                reservation.id,
                req.period,
                req.qty,
                by_customer=by_customer,
                expected_version=expected,
            )
        )
    except DomainError as exc:
        current = booking.get_reservation(reservation.id)
        return _page(
            booking,
            current,
            audience=audience,
            urls=urls,
            values=values,
            errors={exc.field: exc.message} if exc.field else {},
            error=exc.message,
            status=422 if exc.status_code == 422 else 409,
        )
    order = booking.get_order(changed.order_id)
    flash(f"Booking {order.reference} is changed: the total is now {order.total}.", "success")
    return redirect(urls["back"], code=303)


# --- staff --------------------------------------------------------------------------------------


def _staff_urls(reservation_id: str) -> dict[str, str]:
    return {
        "action": url_for("booking_admin.change", reservation_id=reservation_id),
        "back": url_for("booking_admin.detail", reservation_id=reservation_id),
    }


@admin_bp.get("/<reservation_id>/change")
def change_form(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)
    urls = _staff_urls(reservation.id)
    if not reservation.may_change(booking.now()):
        flash(f"{reservation.reference} cannot be changed any more.", "warning")
        return redirect(urls["back"], code=303)
    return _page(booking, reservation, audience="staff", urls=urls)


@admin_bp.post("/<reservation_id>/change")
def change(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)
    return _handle(booking, reservation, by_customer=False, urls=_staff_urls(reservation.id))


# --- customers ----------------------------------------------------------------------------------


def _customer_urls(reference: str, token: str, line: str | None) -> dict[str, str]:
    chosen = {"line": line} if line else {}
    return {
        "action": url_for("booking.change_customer", reference=reference, token=token, **chosen),
        "back": url_for("booking.manage", reference=reference, token=token),
    }


def _own(reference: str, token: str) -> tuple[BookingFacade, Reservation, dict[str, Any]]:
    """The booking behind the link — or, with `line`, that line of its order (an equipment
    type's line still booked; a kit's parts change only together, by staff)."""
    booking = BookingFacade()
    reservation = booking.get_reservation_for_customer(reference, token)
    line_id = str(request.values.get("line") or "")[:64] or None
    if line_id:
        order = booking.get_order(reservation.order_id)
        reservation = next(
            (
                r
                for r in order.lines
                if r.id == line_id and not r.kit_id and r.status is not ReservationStatus.CANCELLED
            ),
            None,
        )
        if reservation is None:
            raise NotFoundError("That item is not in this booking, or cannot be changed online.")
    return booking, reservation, _customer_urls(reference, token, line_id)


@bp.get("/r/<reference>/<token>/change")
def change_form_customer(reference: str, token: str) -> Response:
    booking, reservation, urls = _own(reference, token)
    actions = booking.customer_actions(reservation)
    if not actions.change:
        flash(
            " ".join(
                ["This booking can no longer be changed online.", actions.cancellation_rule]
            ).strip(),
            "warning",
        )
        return redirect(urls["back"], code=303)
    return _page(booking, reservation, audience="customer", urls=urls)


@bp.post("/r/<reference>/<token>/change")
def change_customer(reference: str, token: str) -> Response:
    booking, reservation, urls = _own(reference, token)
    return _handle(booking, reservation, by_customer=True, urls=urls)
