"""Checking out the cart: the visitor's details, then one order for every line — its hold,
its review page and its manage link, as a booking of one type has. The cart is emptied once
the order is placed; a line that stopped fitting sends the visitor back to the cart, which
shows which line and what is free (nothing was written)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, session, url_for

from rental.booking.application.cart import CartCheck, CheckCart
from rental.booking.application.commands import BookOrderOnline
from rental.booking.domain.orders import OrderShort
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import bp
from rental.booking.web.cart import SESSION_KEY, Cart
from rental.booking.web.forms import CUSTOMER_FIELDS, from_period, parse
from rental.booking.web.journey import (
    TOKEN_PAGES,
    _booking_token,
    _details_errors,
    _origin_key,
    _sign_token,
)
from rental.booking.web.limits import limit_holds
from rental.customers import CustomerDetailsInput
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.web import render

TOKEN_PAGES.update({"booking.cart_details", "booking.submit_cart_details", "booking.book_again"})


def _checked(booking: BookingFacade, cart: Cart) -> tuple[Any, CartCheck | None]:
    req = parse(
        cart.period or {"basis": "daily"}, booking.policy, booking.now(), booking.opening_hours
    )
    if not cart.lines or req.errors or req.period is None:
        return req, None
    try:
        return req, booking.check_cart(CheckCart(req.period, req.basis, cart.order_lines()))
    except ValidationError:
        return req, None


def _back_to_cart(message: str) -> Response:
    flash(message, "warning")
    return redirect(url_for("booking.cart"), code=303)


def _page(check: CartCheck, values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render(
        "booking/cart_details.html",
        status=status,
        check=check,
        values=values,
        errors=_details_errors(errors),
        booking_token=_sign_token(_booking_token(request.form.get("booking_token", ""))),
    )


@bp.get("/cart/details")
def cart_details() -> Response:
    booking = BookingFacade()
    _, check = _checked(booking, Cart.load())
    if check is None or not check.fits:
        return _back_to_cart("Please check your booking first: every line must fit its dates.")
    return _page(check, {}, {})


@bp.post("/cart/details")
@limit_holds
def submit_cart_details() -> Response:
    booking = BookingFacade()
    cart = Cart.load()
    req, check = _checked(booking, cart)
    if check is None:
        return _back_to_cart("Please check your booking first: every line must fit its dates.")
    values = {name: request.form.get(name, "").strip() for name in CUSTOMER_FIELDS}
    token = _booking_token(request.form.get("booking_token", ""))
    try:
        reference = booking.book_order_online(
            BookOrderOnline(
                CustomerDetailsInput(**values),
                cart.order_lines(),
                req.period,
                req.basis,
                token,
                origin_key=_origin_key(),
            )
        )
    except ValidationError as exc:
        return _page(check, values, exc.errors or {"form": exc.message}, 422)
    except OrderShort as exc:
        # The cart shows the short lines, what is free of each and the alternatives.
        return _back_to_cart(f"{exc.message} Nothing was booked: change the lines below.")
    except ConflictError as exc:
        return _page(check, values, {"form": exc.message}, 409)
    session.pop(SESSION_KEY, None)
    return redirect(url_for("booking.review", reference=reference, token=token), code=303)


@bp.post("/r/<reference>/<token>/again")
def book_again(reference: str, token: str) -> Response:
    """An order of several lines that ran out (or a quote not taken up): its lines and dates
    go into the cart, which checks what is free now; nothing is held until checkout."""
    booking = BookingFacade()
    order = booking.get_order_for_customer(reference, token)
    lines: list[list[Any]] = []
    kits_seen: set[str] = set()
    for line in order.lines:
        if line.kit_id:
            if line.kit_id not in kits_seen:
                kits_seen.add(line.kit_id)
                lines.append(["kit", line.kit_id, line.kit_quantity or 1])
        else:
            lines.append(["type", line.equipment_type_id, line.quantity])
    period = from_period(order.period, order.basis, 1, booking.policy.timezone)
    period.pop("quantity", None)
    Cart(lines, period).save()
    flash("Your booking's items and dates are in your booking list: check what is free.", "info")
    return redirect(url_for("booking.cart"), code=303)
