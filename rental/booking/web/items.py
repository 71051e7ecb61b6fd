"""A booking of several items, changed by the customer through the manage link: add an item
(a type or a kit, for the booking's dates: what is free and the price are shown first) or
take one out (asks first). Both work without JavaScript; the booking module's rules decide
(AddOrderLine with `by_customer`, CounterCommands.remove_item)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for

from rental.booking.application.cart import CheckCart
from rental.booking.application.commands import AddOrderLine
from rental.booking.domain.models import ReservationStatus
from rental.booking.domain.orders import MAX_LINE_QUANTITY, OrderLine
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import bp
from rental.booking.web.forms import item_line
from rental.booking.web.journey import TOKEN_PAGES, _manage_context, _seen_fee
from rental.booking.web.staff import all_types
from rental.catalog import CatalogFacade
from rental.shared.errors import ConflictError, DomainError, NotFoundError, ValidationError
from rental.shared.parsing import parse_int
from rental.shared.web import render

TOKEN_PAGES.update(
    {"booking.remove_item_form", "booking.remove_item", "booking.add_item_form", "booking.add_item"}
)


def _item_of(reference: str, token: str, line_id: str):
    """The manage page's context and the line (of this order, still booked) to remove."""
    context = _manage_context(reference, token)
    line = next(
        (
            v
            for v in context["order_lines"]
            if v.reservation.id == line_id
            and v.reservation.status is not ReservationStatus.CANCELLED
        ),
        None,
    )
    if line is None:
        raise NotFoundError("That item is not in this booking (any more).")
    return context, line


@bp.get("/r/<reference>/<token>/items/<line_id>/remove")
def remove_item_form(reference: str, token: str, line_id: str) -> Response:
    """Take one item out of a booking of several: asks first (works without JavaScript)."""
    context, line = _item_of(reference, token, line_id)
    if not context["actions"].cancel:
        flash(
            " ".join(
                ["Items can no longer be removed online.", context["actions"].cancellation_rule]
            ),
            "warning",
        )
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    # The exact fee, by the rule the removal charges with (Payments' policy: the item's part).
    cancellation = BookingFacade().removal_preview(line.reservation.id)
    return render("booking/remove_item.html", line=line, cancellation=cancellation, **context)


@bp.post("/r/<reference>/<token>/items/<line_id>/remove")
def remove_item(reference: str, token: str, line_id: str) -> Response:
    _, line = _item_of(reference, token, line_id)
    try:
        removed = BookingFacade().remove_item_by_customer(
            line.reservation.id, "Removed by the customer", seen_fee=_seen_fee()
        )
    except ConflictError as exc:
        return render(
            "booking/manage.html",
            status=409,
            error=exc.message,
            **_manage_context(reference, token),
        )
    what = line.kit_name or line.name
    flash(f"{what} is out of booking {reference} ({', '.join(removed)}).", "success")
    return redirect(url_for("booking.manage", reference=reference, token=token), code=303)


# --- adding an item ---------------------------------------------------------------------------


def _chosen(args: Any) -> tuple[OrderLine | None, dict[str, str]]:
    """The item and number asked for ("type:<id>" or "kit:<id>"), or the problems."""
    raw = str(args.get("item") or "")
    if not raw:
        return None, {}
    errors: dict[str, str] = {}
    try:
        quantity = parse_int(
            args.get("quantity"),
            field="quantity",
            label="number",
            minimum=1,
            maximum=MAX_LINE_QUANTITY,
        )
    except ValidationError as exc:
        errors.update(exc.errors)
        quantity = 1
    line = item_line(raw, quantity)
    if line is None:
        errors["item"] = "Choose the equipment or kit to add."
    if errors:
        return None, errors
    return line, {}


def _add_page(reference: str, token: str, *, status: int = 200, error: str | None = None):
    context = _manage_context(reference, token)
    order = context["order"]
    booking = BookingFacade()
    line, errors = _chosen(request.values)
    check = None
    if line is not None:
        try:
            check = booking.check_cart(CheckCart(order.period, order.basis, (line,))).lines[0]
        except DomainError as exc:
            errors = exc.errors if isinstance(exc, ValidationError) and exc.errors else {}
            error = error or exc.message
        if check is not None and check.gone:
            errors, check = {"item": "That is not offered at the moment."}, None
    catalog = CatalogFacade()
    return render(
        "booking/add_item.html",
        status=422 if errors and status == 200 else status,
        types=[t for t in all_types(catalog) if t.active],
        kits=catalog.list_kits(public_only=True),
        chosen=str(request.values.get("item") or ""),
        quantity=str(request.values.get("quantity") or "1")[:4],
        check=check,
        errors=errors,
        error=error,
        **context,
    )


@bp.get("/r/<reference>/<token>/items/add")
def add_item_form(reference: str, token: str) -> Response:
    """Choose an item and how many; "Check" shows what is free and the price for the
    booking's dates before anything is added."""
    context = _manage_context(reference, token)
    if not context["actions"].change:
        rule = context["actions"].cancellation_rule
        flash(f"Equipment can no longer be added online. {rule}".strip(), "warning")
        return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
    return _add_page(reference, token)


@bp.post("/r/<reference>/<token>/items/add")
def add_item(reference: str, token: str) -> Response:
    context = _manage_context(reference, token)
    order = context["order"]
    line, errors = _chosen(request.form)
    if line is None:
        return _add_page(reference, token, status=422, error=next(iter(errors.values()), None))
    try:
        changed = BookingFacade().add_order_line(AddOrderLine(order.id, line, by_customer=True))
    except (ValidationError, NotFoundError) as exc:
        return _add_page(reference, token, status=422, error=exc.message)
    except ConflictError as exc:
        return _add_page(reference, token, status=409, error=exc.message)
    flash(f"Added to booking {reference}: the total is now {changed.total}.", "success")
    return redirect(url_for("booking.manage", reference=reference, token=token), code=303)
