"""The cart (`/cart`): equipment types and kits gathered for one shared period before checkout.
It lives in the visitor's session (lines as [kind, id, quantity], the period as the form's own
fields), holds nothing and survives a reload. Every change is a plain POST answered with a
303 to the cart; with htmx only the fragments that changed come back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, session, url_for

from rental.booking.application.cart import CheckCart
from rental.booking.domain.orders import MAX_LINE_QUANTITY, MAX_LINES, OrderLine
from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import bp
from rental.booking.web.forms import BookingRequest, from_period, parse, parse_carried
from rental.catalog import CatalogFacade
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.parsing import parse_int
from rental.shared.web import is_htmx, render

SESSION_KEY = "cart"
KINDS = ("type", "kit")
ID_MAX = 64  # characters of an ID or slug that are looked at
PERIOD_KEYS = ("basis", "start", "end", "start_date", "end_date")
CHECKOUT = "booking.cart_details"  # the lead's details step (may not exist in this branch yet)


@dataclass
class Cart:
    """What the session holds: lines [kind, id, quantity] in the order they were added, and
    the period's form fields as last accepted."""

    lines: list[list[Any]] = field(default_factory=list)
    period: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Cart:
        raw = session.get(SESSION_KEY)
        if not isinstance(raw, dict):
            return cls()
        lines = []
        for item in raw.get("lines") or []:
            # A cookie from an older version, or tampered with, loses the lines it cannot use.
            if (
                isinstance(item, list | tuple)
                and len(item) == 3
                and item[0] in KINDS
                and isinstance(item[1], str)
                and isinstance(item[2], int)
                and 1 <= item[2] <= MAX_LINE_QUANTITY
            ):
                lines.append([item[0], item[1], item[2]])
        period = raw.get("period") if isinstance(raw.get("period"), dict) else {}
        period = {k: str(period[k])[:40] for k in PERIOD_KEYS if k in period}
        return cls(lines[:MAX_LINES], period)

    def save(self) -> None:
        session[SESSION_KEY] = {"lines": self.lines, "period": self.period}

    def order_lines(self) -> tuple[OrderLine, ...]:
        return tuple(
            OrderLine(qty, kit_id=item_id)
            if kind == "kit"
            else OrderLine(qty, equipment_type_id=item_id)
            for kind, item_id, qty in self.lines
        )

    def find(self, kind: str, item_id: str) -> int | None:
        return next(
            (i for i, (k, x, _) in enumerate(self.lines) if (k, x) == (kind, item_id)), None
        )


def cart_size() -> int:
    """Lines in the visitor's cart (the header's "Booking (N)")."""
    raw = session.get(SESSION_KEY)
    lines = raw.get("lines") if isinstance(raw, dict) else None
    return len(lines) if isinstance(lines, list) else 0


@bp.app_context_processor
def _cart_context() -> dict[str, Any]:
    return {"cart_size": cart_size}


# --- reading the cart ---------------------------------------------------------------------


def _period(cart: Cart, booking: BookingFacade) -> BookingRequest:
    """The cart's period as the availability form parses it (tomorrow, one day, at first)."""
    return parse(
        cart.period or {"basis": "daily"}, booking.policy, booking.now(), booking.opening_hours
    )


def _named_lines(cart: Cart) -> list[dict[str, Any]]:
    """The lines with their names only, for when the period cannot be checked."""
    catalog = CatalogFacade()
    summaries = catalog.get_equipment_type_summaries(
        [item_id for kind, item_id, _ in cart.lines if kind == "type"]
    )
    named = []
    for index, (kind, item_id, qty) in enumerate(cart.lines):
        name, slug = "This item", ""
        if kind == "type" and item_id in summaries:
            name, slug = summaries[item_id].name, summaries[item_id].slug
        elif kind == "kit":
            try:
                kit = catalog.get_kit(item_id)
                name, slug = kit.name, kit.slug
            except NotFoundError:
                pass
        named.append(
            {
                "index": index,
                "kind": kind,
                "id": item_id,
                "name": name,
                "slug": slug,
                "quantity": qty,
            }
        )
    return named


def _context(
    req: BookingRequest | None = None,
    line_errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
) -> dict[str, Any]:
    booking = BookingFacade()
    cart = Cart.load()
    req = req or _period(cart, booking)
    check = None
    if cart.lines and not req.errors and req.period is not None:
        try:
            check = booking.check_cart(CheckCart(req.period, req.basis, cart.order_lines()))
        except ValidationError as exc:
            req.errors.update(exc.errors or {"start": exc.message})
    tz = booking.policy.timezone
    later = {}
    if check is not None:
        for line in check.lines:
            alt = line.alternatives
            if alt is not None and alt.earliest_period is not None:
                later[line.index] = from_period(alt.earliest_period, req.basis, line.quantity, tz)
    return {
        "cart": cart,
        "req": req,
        "check": check,
        "named": _named_lines(cart) if cart.lines and check is None else [],
        "later": later,
        "line_errors": line_errors or {},
        "typed": typed or {},
        "checkout_open": CHECKOUT in current_app.view_functions,
        "checkout_endpoint": CHECKOUT,
        "max_lines": MAX_LINES,
        "earliest_day": booking.policy.earliest_day(booking.now()),
    }


@bp.get("/cart")
def cart() -> Response:
    return render("booking/cart.html", **_context())


# --- changing it --------------------------------------------------------------------------


def _done(block: str, message: str | None = None, **context: Any) -> Response:
    """Without JavaScript: a message for the next page and 303 to the cart. With htmx: the
    changed block (and the header's badge out of band)."""
    if is_htmx():
        return render(
            "booking/cart.html", block, cart_oob=is_htmx(), notice=message, **_context(**context)
        )
    if message:
        flash(message, "success")
    return redirect(url_for("booking.cart"), code=303)


def _line(cart: Cart, index: int) -> list[Any]:
    """The line at `index`, checked against the key the form showed (another tab may have
    changed the cart since)."""
    if not 0 <= index < len(cart.lines):
        abort(404, description="That line is no longer in your booking. Reload the page.")
    shown = (request.form.get("line") or "").strip()
    item = cart.lines[index]
    if shown and shown != f"{item[0]}:{item[1]}":
        abort(409, description="Your booking changed in another window. Reload the page.")
    return item


def _quantity(raw: str | None) -> int:
    return parse_int(
        raw,
        field="quantity",
        label="number",
        minimum=1,
        maximum=MAX_LINE_QUANTITY,
    )


def _item(kind: str, item_id: str, slug: str) -> tuple[str, str]:
    """(ID, name) of what is being added; 404 when it is unknown or not offered."""
    catalog = CatalogFacade()
    if kind == "type":
        details = (
            catalog.get_equipment_type_details(item_id)
            if item_id
            else catalog.get_equipment_type_by_slug(slug)
        )
        if not details.active:
            raise NotFoundError(f"{details.name} is not offered at the moment.")
        return details.id, details.name
    kit = catalog.get_kit(item_id) if item_id else catalog.get_kit_by_slug(slug)
    if not kit.public:
        raise NotFoundError(f"{kit.name} is not offered at the moment.")
    return kit.id, kit.name


@bp.post("/cart/add")
def cart_add() -> Response:
    form = request.form
    kind = (form.get("kind") or "").strip()
    item_id = (form.get("id") or "").strip()[:ID_MAX]
    slug = (form.get("slug") or "").strip()[:ID_MAX]
    if kind not in KINDS or not (item_id or slug):
        abort(400, description="Choose an equipment type or a kit to add to your booking.")
    try:
        qty = _quantity(form.get("quantity") or "1")
    except ValidationError as exc:
        abort(422, description=exc.message)
    item_id, name = _item(kind, item_id, slug)
    cart = Cart.load()
    index = cart.find(kind, item_id)
    if index is None:
        if len(cart.lines) >= MAX_LINES:
            abort(422, description=f"A booking holds at most {MAX_LINES} lines.")
        cart.lines.append([kind, item_id, qty])
    else:
        if cart.lines[index][2] + qty > MAX_LINE_QUANTITY:
            abort(422, description=f"A line holds at most {MAX_LINE_QUANTITY}.")
        cart.lines[index][2] += qty
    # The dates the visitor checked become the booking's (dates that do not parse are left).
    booking = BookingFacade()
    carried = parse_carried(form, booking.policy, booking.now())
    if carried is not None and not carried.errors and carried.period is not None:
        cart.period = _fields(carried)
    cart.save()
    message = f"Added {qty} × {name} to your booking."
    if is_htmx():
        return render("booking/_cart_added.html", message=message, cart_oob=is_htmx())
    flash(message, "success")
    return redirect(url_for("booking.cart"), code=303)


def _fields(req: BookingRequest) -> dict[str, str]:
    if req.is_daily:
        return {"basis": "daily", "start_date": req.start_date, "end_date": req.end_date}
    return {"basis": "hourly", "start": req.start, "end": req.end}


def _switched(form: Any) -> dict[str, str]:
    """The period form's fields; when only the basis changed, the other basis' fields are
    made from the days shown (whole days → 09:00–17:00 of them, and back)."""
    values = {k: (form.get(k) or "").strip()[:40] for k in PERIOD_KEYS if k in form}
    values |= {k: (form.get(k) or "")[:40] for k in form if k.startswith("was_")}
    basis = values.get("basis", "daily").lower()
    if basis == "hourly" and not values.get("start") and values.get("start_date"):
        values["start"] = f"{values['start_date']}T09:00"
        values["end"] = f"{values.get('end_date') or values['start_date']}T17:00"
    if basis == "daily" and not values.get("start_date") and values.get("start"):
        values["start_date"] = values["start"][:10]
        values["end_date"] = (values.get("end") or values["start"])[:10]
    return values


@bp.post("/cart/period")
def cart_period() -> Response:
    booking = BookingFacade()
    cart = Cart.load()
    req = parse(_switched(request.form), booking.policy, booking.now(), booking.opening_hours)
    if not req.errors:
        # The period rules every line shares (an empty cart checks just those, opening hours
        # included); the lines' own (a type's minimum rental) show per line.
        try:
            assert req.period is not None
            booking.check_cart(CheckCart(req.period, req.basis, ()))
        except ValidationError as exc:
            req.errors.update(exc.errors or {"start": exc.message})
    if req.errors:
        return render(
            "booking/cart.html", "cart", status=422, cart_oob=is_htmx(), **_context(req=req)
        )
    cart.period = _fields(req)
    cart.save()
    if is_htmx():
        return render("booking/cart.html", "cart", cart_oob=is_htmx(), **_context())
    return redirect(url_for("booking.cart"), code=303)


@bp.post("/cart/lines/<int:index>/quantity")
def cart_quantity(index: int) -> Response:
    cart = Cart.load()
    item = _line(cart, index)
    raw = request.form.get("quantity")
    try:
        qty = _quantity(raw)
    except ValidationError as exc:
        return render(
            "booking/cart.html",
            "checked",
            status=422,
            cart_oob=is_htmx(),
            **_context(line_errors={index: exc.message}, typed={index: (raw or "")[:10]}),
        )
    item[2] = qty
    cart.save()
    return _done("checked")


@bp.post("/cart/lines/<int:index>/remove")
def cart_remove(index: int) -> Response:
    cart = Cart.load()
    _line(cart, index)
    del cart.lines[index]
    cart.save()
    return _done("checked", "Removed from your booking.")


@bp.post("/cart/clear")
def cart_clear() -> Response:
    cart = Cart.load()
    cart.lines = []
    cart.save()
    return _done("checked", "Your booking is empty again.")
