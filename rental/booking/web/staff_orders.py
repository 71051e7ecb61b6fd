"""Staff orders at /admin/orders/new: a phone or walk-in customer (found or entered), several
lines (equipment types and kits) for one period, what is free and the price of every line as
staff type (htmx asks for the `result` block; "Check" without JavaScript), then either booked
and confirmed at once, or saved as a quote that holds nothing. "Add another line" and
"Remove" are plain submit buttons (htmx swaps only the `lines` block)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, flash, redirect, request, url_for

from rental.booking.application.cart import CartCheck, CartLineCheck, CheckCart
from rental.booking.application.commands import BookOrderForCustomer
from rental.booking.application.queries import SEARCH_MAX
from rental.booking.domain.orders import MAX_LINE_QUANTITY, MAX_LINES, OrderLine, OrderShort
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import orders_bp
from rental.booking.web.forms import CUSTOMER_FIELDS, ITEM, item_line, parse
from rental.booking.web.staff import CUSTOMER_MATCHES, _form_token, all_types
from rental.catalog import CatalogFacade
from rental.customers import CustomerDetailsInput, CustomerFacade, SearchCustomers
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.parsing import parse_int
from rental.shared.web import render

# Errors the page shows at their own place; any other goes at the top of the form.
PLACED = {"customer", "lines", "start", "end", *CUSTOMER_FIELDS}


@dataclass
class Row:
    """One line of the form as typed, and what became of it."""

    item: str = ""  # "type:<id>" or "kit:<id>"
    qty: str = "1"
    error: str | None = None
    line: OrderLine | None = None
    check: CartLineCheck | None = None


def _rows(form: Any, errors: dict[str, str]) -> list[Row]:
    """The rows as sent, with one removed ("Remove") or added ("Add another line")."""
    items, qtys = form.getlist("item"), form.getlist("qty")
    count = max(len(items), len(qtys))
    if count > MAX_LINES:
        errors["lines"] = f"A booking holds at most {MAX_LINES} lines."
    rows = [
        Row(
            item=str(items[i] if i < len(items) else "").strip()[:80],
            qty=str(qtys[i] if i < len(qtys) else "1").strip()[:12],
        )
        for i in range(min(count, MAX_LINES))
    ]
    if form.get("remove"):
        try:
            remove = parse_int(
                form.get("remove"), field="remove", label="line", minimum=0, maximum=len(rows) - 1
            )
        except ValidationError:
            remove = None  # a row that is not there (any more): nothing to remove
        if remove is not None:
            del rows[remove]
    if form.get("action") == "add":
        if len(rows) < MAX_LINES:
            rows.append(Row())
        else:
            errors["lines"] = f"A booking holds at most {MAX_LINES} lines."
    return rows or [Row()]


def _read_lines(rows: list[Row], offered: set[str]) -> None:
    """Each filled row's line, or the reason next to it (an empty row is left out)."""
    seen: set[str] = set()
    for row in rows:
        if not row.item:
            continue
        if ITEM.fullmatch(row.item) is None or row.item not in offered:
            row.error = "Choose the equipment or kit from the list."
            continue
        try:
            qty = parse_int(
                row.qty, field="qty", label="number", minimum=1, maximum=MAX_LINE_QUANTITY
            )
        except ValidationError:
            row.error = f"How many: a whole number from 1 to {MAX_LINE_QUANTITY}."
            continue
        if row.item in seen:
            row.error = "Already in this booking: change that line's quantity instead."
            continue
        seen.add(row.item)
        row.line = item_line(row.item, qty)


def _short_message(row: Row, free: int) -> str:
    if free <= 0:
        return "None of these are free for the period."
    asked = row.line.quantity if row.line else 0
    return f"Only {free} free for the period; you asked for {asked}."


@orders_bp.route("/new", methods=["GET", "POST"])
def new_order() -> Response:
    booking = BookingFacade()
    form = request.form if request.method == "POST" else request.args
    errors: dict[str, str] = {}
    customers = CustomerFacade()
    customer = None
    customer_id = str(form.get("customer") or "").strip()[:64]
    if customer_id:
        try:
            customer = customers.get_customer_by_id(customer_id)
        except NotFoundError:
            errors["customer"] = "There is no such customer: search again or enter a new one."
    search = str(request.args.get("q") or "").strip()[:SEARCH_MAX]
    matches = (
        customers.search_customers(
            SearchCustomers(text=search, status="ACTIVE", page_size=CUSTOMER_MATCHES)
        ).items
        if search and customer is None
        else ()
    )
    catalog = CatalogFacade()
    types = [t for t in all_types(catalog) if t.active]
    kits = catalog.list_kits(public_only=True)
    offered = {f"type:{t.id}" for t in types} | {f"kit:{k.id}" for k in kits}
    submitted = "item" in form
    rows = _rows(form, errors)
    _read_lines(rows, offered)
    req = parse(form, booking.policy, booking.now(), booking.opening_hours)
    values = {name: str(form.get(name) or "").strip()[:255] for name in CUSTOMER_FIELDS}
    filled = [row for row in rows if row.line is not None]
    action = str(form.get("action") or "")
    wants = request.method == "POST" and action in ("book", "quote")
    if wants and not filled and not any(row.error for row in rows):
        errors["lines"] = "Choose at least one item for the booking."
    if wants and customer is None and not customer_id:
        # A new customer's fields are checked with everything else, so one send shows every
        # problem (registering checks them again, and whether the e-mail is known).
        try:
            customers.check_customer_details(CustomerDetailsInput(**values))
        except ValidationError as exc:
            errors.update(exc.errors or {"customer": exc.message})
    check: CartCheck | None = None
    if submitted and filled and not req.errors and req.period is not None:
        try:
            check = booking.check_cart(
                CheckCart(
                    req.period,
                    req.basis,
                    tuple(r.line for r in filled if r.line),
                    customer_id=customer.id if customer else None,
                )
            )
        except ValidationError as exc:
            req.errors.update(exc.errors or {"form": exc.message})
        else:
            for row, line in zip(filled, check.lines, strict=True):
                row.check = line
    row_errors = any(row.error for row in rows)
    status = 422 if submitted and (errors or req.errors or row_errors) else 200
    token = _form_token(form.get("form_token"))
    if wants and status == 200 and check is not None:
        problems = [row for row in filled if row.check and row.check.problem]
        for row in problems:
            row.error = row.check.problem if row.check else None
        if problems:
            errors["form"] = "Nothing was booked: a line cannot be booked as it is."
            status = 422
        else:
            response = _book(booking, form, filled, check, token, customer, values, errors)
            if isinstance(response, Response):
                return response
            status = response
    block = request.values.get("_block")
    return render(
        "booking/admin/new_order.html",
        block if block in ("result", "lines") else None,
        status=status,
        req=req,
        check=check,
        submitted=submitted,
        errors=errors,
        others=[m for k, m in errors.items() if k not in PLACED and k != "form"],
        customer=customer,
        search=search,
        matches=matches,
        types=types,
        kits=kits,
        rows=rows,
        max_lines=MAX_LINES,
        values=values,
        form_token=token,
    )


def _book(
    booking: BookingFacade,
    form: Any,
    filled: list[Row],
    check: CartCheck,
    token: str,
    customer: Any,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response | int:
    """Book (or save the quote): the order's page, or the status to answer with (the reasons
    in `errors` and on the rows; nothing was written)."""
    quote = form.get("action") == "quote"
    try:
        order_id = booking.book_order_for_customer(
            BookOrderForCustomer(
                tuple(r.line for r in filled if r.line),
                check.period,
                check.basis,
                token,
                customer_id=customer.id if customer else None,
                new_customer=None if customer else CustomerDetailsInput(**values),
                quote=quote,
            )
        )
    except OrderShort as exc:
        for index, free in exc.short.items():
            if index < len(filled):
                filled[index].error = _short_message(filled[index], free)
        errors["form"] = f"Nothing was booked. {exc.message}"
        return 409
    except ValidationError as exc:
        errors.update(exc.errors or {"form": exc.message})
        return 422
    except ConflictError as exc:
        errors[exc.field or "form"] = exc.message
        return 409 if exc.field is None else 422
    order = booking.get_order(order_id)
    count = len(order.lines)
    if quote:
        flash(
            f"Quote {order.reference} saved ({count} line{'s' if count != 1 else ''}). It holds "
            "nothing: turn it into a booking here when the customer says yes.",
            "success",
        )
    else:
        flash(f"Booking {order.reference} is confirmed.", "success")
    return redirect(url_for("booking_admin.detail", reservation_id=order.first.id), code=303)
