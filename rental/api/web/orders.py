"""Orders through BookingFacade — the commands the pages use, no rule of their own: create a
hold (customer by ID, or found or registered by e-mail as online), read and list, confirm
(as staff do), change a line's period or quantity, add a line, cancel the order.

Channel: API-made orders are BookingChannel.API (no online caps, always a hold — as staff).
The commands take no actor; the reason of a cancellation records the token ("API: <name>")."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Response, request

from rental.api.web.core import ORDERS_WRITE, READ, ApiProblem, bp, current_token, operation
from rental.api.web.helpers import (
    Created,
    decode_cursor,
    encode_cursor,
    idempotent,
    json_response,
    money,
    page_response,
)
from rental.api.web.schemas.orders import (
    AllocationOut,
    CancelIn,
    CancellationOut,
    LineChangeIn,
    OrderIn,
    OrderLineAddIn,
    OrderLineIn,
    OrderLineOut,
    OrderLinks,
    OrderOut,
    OrderPage,
    OrderQuery,
    OrderSummaryOut,
    PeriodIn,
    PeriodOut,
)
from rental.booking import (
    AddOrderLine,
    BookingChannel,
    BookingFacade,
    BookOrderOnline,
    CartCheck,
    ChangeReservation,
    CheckCart,
    ListReservations,
    Order,
    OrderLine,
    OrderShort,
    PlaceOrder,
    PricingBasis,
    parse_carried,
)
from rental.catalog import CatalogFacade
from rental.customers import CustomerDetailsInput
from rental.inventory import InventoryFacade
from rental.payments import PaymentsFacade
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

TAGS = ["orders"]
CUSTOMER_MESSAGE = "Choose a customer, or enter a new customer's details."


# --- reading ----------------------------------------------------------------------------------


def _period(period: TimeRange, basis: PricingBasis, booking: BookingFacade) -> PeriodOut:
    tz = booking.policy.timezone
    return PeriodOut(
        basis="daily" if basis is PricingBasis.DAILY else "hourly",
        start=period.start.astimezone(tz),
        end=period.end.astimezone(tz),
    )


def _links(reference: str) -> OrderLinks:
    base = f"/api/v1/orders/{reference}"
    return OrderLinks(
        self=base, confirm=f"{base}/confirm", cancel=f"{base}/cancel", lines=f"{base}/lines"
    )


def order_out(order: Order, booking: BookingFacade | None = None) -> OrderOut:
    """The order as the staff page shows it: lines with names, statuses, prices and the
    serial numbers allocated (Inventory), totals of the lines not cancelled."""
    booking = booking or BookingFacade()
    catalog = CatalogFacade()
    types = catalog.get_equipment_type_summaries({r.equipment_type_id for r in order.lines})
    kits: dict[str, str] = {}
    for kit_id in {r.kit_id for r in order.lines if r.kit_id}:
        try:
            kits[kit_id] = catalog.get_kit(kit_id).slug
        except NotFoundError:
            kits[kit_id] = ""
    inventory = InventoryFacade()
    lines = []
    for r in order.lines:
        summary = types.get(r.equipment_type_id)
        allocations = [
            AllocationOut(serial_number=a.serial_number, status=a.status)
            for a in inventory.list_allocations_for_reservation(r.id)
            if a.status in ("ALLOCATED", "PICKED_UP", "RETURNED")
        ]
        lines.append(
            OrderLineOut(
                id=r.id,
                reference=r.reference,
                line_no=r.line_no,
                equipment_type_id=r.equipment_type_id,
                equipment_type=summary.slug if summary else "",
                name=summary.name if summary else "Equipment no longer listed",
                kit=kits.get(r.kit_id) if r.kit_id else None,
                kit_quantity=r.kit_quantity,
                quantity=r.quantity,
                status=r.display_status,
                period=_period(r.period, r.basis, booking),
                total=money(r.total),
                deposit=money(r.quote.deposit),
                version=r.version,
                allocations=allocations,
                cancellation_reason=r.cancellation_reason,
            )
        )
    return OrderOut(
        id=order.id,
        reference=order.reference,
        status=order.display_status,
        customer_id=order.customer_id,
        channel=order.channel.value,
        created_at=order.created_at,
        period=_period(order.period, order.basis, booking),
        hold_expires_at=order.hold_expires_at if order.status.value == "PENDING" else None,
        total=money(order.total),
        deposit=money(order.deposit),
        version=order.version,
        lines=lines,
        links=_links(order.reference),
    )


def _order(reference: str, booking: BookingFacade) -> Order:
    return booking.get_order_by_reference(reference)


@bp.get("/orders/<reference>")
@operation(READ, ok=OrderOut, errors=(404,), tags=TAGS)
def get_order(reference: str) -> Response:
    """An order: its lines (type, quantity, period, status, serial numbers allocated),
    totals, deposit, hold expiry and customer."""
    booking = BookingFacade()
    return json_response(order_out(_order(reference, booking), booking))


def _list_query(query: OrderQuery, booking: BookingFacade) -> ListReservations:
    tz = booking.policy.timezone
    day = timedelta(days=1)
    return ListReservations(
        status=query.status,
        customer_id=query.customer_id,
        starts_from=datetime.combine(query.from_, datetime.min.time(), tz) if query.from_ else None,
        starts_before=datetime.combine(query.to + day, datetime.min.time(), tz)
        if query.to
        else None,
    )


@bp.get("/orders")
@operation(READ, query=OrderQuery, ok=OrderPage, tags=TAGS)
def list_orders(query: OrderQuery) -> Response:
    """Orders, the newest first, filtered like the staff list (a line's status, the
    customer, the first day from/to); `limit` + `cursor`, `Link: rel="next"`."""
    booking = BookingFacade()
    state = decode_cursor(query.cursor)
    after = (state.get("t", ""), state.get("id", "")) if state else None
    page, more = [], False
    for found in booking.export_orders(_list_query(query, booking)):
        key = (found.created_at.isoformat(), found.id)
        # Newest first, then by ID: skip what the previous pages had.
        if after is not None and (key[0] > after[0] or (key[0] == after[0] and key[1] <= after[1])):
            continue
        if len(page) == query.limit:
            more = True
            break
        page.append(found)
    orders = booking.orders_of_lines({found.lines[0].id for found in page})
    data = []
    for found in page:
        order = orders[found.lines[0].id]
        data.append(
            OrderSummaryOut(
                id=order.id,
                reference=order.reference,
                status=order.display_status,
                customer_id=order.customer_id,
                channel=order.channel.value,
                created_at=order.created_at,
                period=_period(order.period, order.basis, booking),
                total=money(order.total),
                lines=len(order.lines),
                links=_links(order.reference),
            )
        )
    next_cursor = None
    if more and page:
        next_cursor = encode_cursor({"t": page[-1].created_at.isoformat(), "id": page[-1].id})
    return page_response(OrderPage(data=data, next_cursor=next_cursor), next_cursor)


# --- input as the pages read it ------------------------------------------------------------------


def _invalid(errors: dict[str, str], detail: str | None = None) -> ApiProblem:
    first = next(iter(errors.values()))
    return ApiProblem(
        422,
        detail or first,
        slug="validation",
        errors=[{"field": f, "message": m} for f, m in errors.items()],
    )


def _parse_period(period: PeriodIn, booking: BookingFacade) -> tuple[TimeRange, PricingBasis]:
    """The period by the availability form's rules and messages (daily: first and last day,
    both included; hourly: local date-times or with an offset)."""
    if period.basis == "daily":
        args = {"basis": "daily", "start_date": period.start, "end_date": period.end}
    else:
        args = {"basis": "hourly", "start": period.start, "end": period.end}
    req = parse_carried(args, booking.policy, booking.now())
    assert req is not None
    if req.errors or req.period is None:
        errors = {f"period.{k}": v for k, v in req.errors.items() if k != "quantity"}
        raise _invalid(errors or {"period": "Enter the period."})
    return req.period, req.basis


def _resolve(lines: list[OrderLineIn], field: str = "lines") -> tuple[OrderLine, ...]:
    """Slugs → order lines; an unknown slug or one not offered is a 422 on its field."""
    catalog = CatalogFacade()
    out, errors = [], {}
    for i, line in enumerate(lines):
        where = f"{field}[{i}]" if field == "lines" else field
        try:
            if line.equipment_type is not None:
                details = catalog.get_equipment_type_by_slug(line.equipment_type)
                if not details.active:
                    raise NotFoundError(f"{details.name} is not offered at the moment.")
                out.append(OrderLine(line.quantity, equipment_type_id=details.id))
            else:
                kit = catalog.get_kit_by_slug(str(line.kit))
                if not kit.public:
                    raise NotFoundError(f"{kit.name} is not offered at the moment.")
                out.append(OrderLine(line.quantity, kit_id=kit.id))
        except NotFoundError as exc:
            name = "equipment_type" if line.equipment_type is not None else "kit"
            errors[f"{where}.{name}"] = exc.message
    if errors:
        raise _invalid(errors)
    return tuple(out)


def _period_fields(exc: ValidationError, lines: int, line_field: str = "lines[0]") -> dict:
    """A booking command's field errors under the API's names."""
    names = {"start": "period.start", "end": "period.end", "period": "period"}
    out = {}
    for key, message in (exc.errors or {"": exc.message}).items():
        if key in names:
            out[names[key]] = message
        elif key in ("quantity", "qty"):
            out[f"{line_field}.quantity" if lines == 1 else "lines"] = message
        elif key == "lines":
            out["lines"] = message
        else:
            out[key or "body"] = message
    return out


def _alternatives(check: CartCheck, booking: BookingFacade) -> list[dict[str, Any]]:
    """Per short line, what the cart page offers: how many fit with the other lines (0:
    none), and for a type the earliest period of the same length when all of it fits."""
    out = []
    for line in check.lines:
        if line.fits or line.problem is not None:
            continue
        alt = line.alternatives
        earliest = alt.earliest_period if alt is not None else None
        out.append(
            {
                "line": line.index,
                "field": f"lines[{line.index}]",
                "kind": line.kind,
                "slug": line.slug,
                "name": line.name,
                "quantity": line.quantity,
                "available": line.free_for_line,
                "max_quantity": alt.max_quantity if alt is not None else line.free_for_line,
                "earliest_period": _period(earliest, check.basis, booking).model_dump(mode="json")
                if earliest is not None
                else None,
            }
        )
    return out


def _short(
    message: str, lines: tuple[OrderLine, ...], period: TimeRange, basis: PricingBasis
) -> ApiProblem:
    """The 409 of a line that does not fit, with the cart's alternatives (checked now)."""
    booking = BookingFacade()
    check = booking.check_cart(CheckCart(period, basis, lines))
    return ApiProblem(
        409,
        message + " Nothing was booked.",
        slug="conflict",
        alternatives=_alternatives(check, booking),
    )


def _precheck(
    booking: BookingFacade, lines: tuple[OrderLine, ...], period: TimeRange, basis: PricingBasis
) -> None:
    """The cart page's check before checkout: a line that cannot be booked at all (422 on
    it), short lines (409 with the alternatives). Advisory: the command decides under the
    locks."""
    try:
        check = booking.check_cart(CheckCart(period, basis, lines))
    except ValidationError as exc:
        raise _invalid(_period_fields(exc, len(lines))) from None
    problems = {f"lines[{line.index}]": str(line.problem) for line in check.lines if line.problem}
    if problems:
        raise _invalid(problems)
    if not check.fits:
        short = [line for line in check.lines if not line.fits]
        parts = [
            f"{line.name}: "
            + (f"only {line.free_for_line} free" if line.free_for_line else "none free")
            + f", you asked for {line.quantity}."
            for line in short
        ]
        raise ApiProblem(
            409,
            "Not everything is free for that period. " + " ".join(parts) + " Nothing was booked.",
            slug="conflict",
            alternatives=_alternatives(check, booking),
        )


# --- writing -----------------------------------------------------------------------------------


def _actor() -> str:
    token = current_token()
    return f"API: {token.name}" if token is not None else "API"


@bp.post("/orders")
@operation(ORDERS_WRITE, json=OrderIn, ok=OrderOut, status=201, errors=(404, 409), tags=TAGS)
def create_order(json: OrderIn) -> Response:
    """Create a hold (201, Location). Idempotency-Key supported. A line that does not fit:
    409 with `alternatives` per short line (the cart page's)."""
    if (json.customer_id is None) == (json.customer is None):
        raise _invalid({"customer": CUSTOMER_MESSAGE})
    if not json.lines:
        raise _invalid({"lines": "Add at least one item to the booking."})

    def create() -> Created:
        booking = BookingFacade()
        period, basis = _parse_period(json.period, booking)
        lines = _resolve(json.lines)
        _precheck(booking, lines, period, basis)
        token = secrets.token_urlsafe(24)  # the order's manage token (never shown here)
        try:
            if json.customer_id is not None:
                order = booking.place_order(
                    PlaceOrder(
                        json.customer_id, lines, period, basis, token, channel=BookingChannel.API
                    )
                )
            else:
                assert json.customer is not None
                reference = booking.book_order_online(
                    BookOrderOnline(
                        CustomerDetailsInput(**json.customer.model_dump()),
                        lines,
                        period,
                        basis,
                        token,
                        channel=BookingChannel.API,
                    )
                )
                order = booking.get_order_for_customer(reference, token)
        except OrderShort as exc:
            raise _short(exc.message, lines, period, basis) from None
        except ValidationError as exc:
            errors = _period_fields(exc, len(lines))
            if "customer" in errors:
                errors["customer_id"] = errors.pop("customer")
            if json.customer is not None:
                errors = {
                    (f"customer.{k}" if k in CustomerIn_FIELDS else k): v for k, v in errors.items()
                }
            raise _invalid(errors, exc.message) from None
        return Created(order_out(order, booking), location=f"/api/v1/orders/{order.reference}")

    return idempotent(create)


CustomerIn_FIELDS = frozenset(
    ("name", "email", "phone", "street", "city", "state", "postal_code", "country")
)


@bp.post("/orders/<reference>/confirm")
@operation(ORDERS_WRITE, ok=OrderOut, errors=(404, 409), tags=TAGS)
def confirm_order(reference: str) -> Response:
    """Confirm the hold (or a request), as staff do: a hold that ran out is confirmed only
    when everything still fits (409 with the page's message otherwise)."""
    booking = BookingFacade()
    order = _order(reference, booking)
    booking.confirm_reservation(order.first.id, approve=True)
    return json_response(order_out(booking.get_order(order.id), booking))


def _line(order: Order, line_id: str):
    for line in order.lines:
        if line_id in (line.id, line.reference):
            return line
    raise NotFoundError(f"{order.reference} has no line {line_id}.")


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not re.fullmatch(r"[0-9]{1,9}", value):  # not isdigit(): '²' is a digit to Python
        message = 'If-Match carries the line\'s version as read, e.g. If-Match: "3".'
        raise ApiProblem(400, message, errors=[{"field": "If-Match", "message": message}])
    return int(value)


@bp.patch("/orders/<reference>/lines/<line_id>")
@operation(ORDERS_WRITE, json=LineChangeIn, ok=OrderOut, errors=(404, 409, 412), tags=TAGS)
def change_line(reference: str, line_id: str, json: LineChangeIn) -> Response:
    """Another period (the whole order moves) and/or quantity for a line (`line_id`: its ID
    or reference), checked as the change page checks it; 409 when it no longer fits, with
    how many are free."""
    booking = BookingFacade()
    order = _order(reference, booking)
    line = _line(order, line_id)
    header = _if_match()
    expected = header if header is not None else json.expected_version
    if expected is not None and expected != line.version:
        raise ApiProblem(
            412 if header is not None else 409,
            f"{line.reference} was changed meanwhile: look at it again before changing it.",
            title="Precondition failed" if header is not None else None,
            version=line.version,
        )
    if json.period is None and json.quantity is None:
        raise _invalid({"body": "Send a new `period`, a new `quantity`, or both."})
    if json.period is not None:
        period, basis = _parse_period(json.period, booking)
        if basis is not line.basis:
            raise _invalid({"period.basis": f"This booking is priced {line.basis.value.lower()}."})
    else:
        period = line.period
    cmd = ChangeReservation(
        line.id, period, json.quantity or line.quantity, expected_version=expected
    )
    try:
        booking.change_reservation(cmd)
    except ConflictError as exc:
        if exc.field != "quantity":
            raise
        preview = booking.preview_change(cmd)
        raise ApiProblem(
            409,
            exc.message,
            slug="conflict",
            alternatives=[
                {
                    "line": line.reference,
                    "field": "quantity",
                    "available": preview.free,
                    "max_quantity": preview.free,
                }
            ],
        ) from None
    except ValidationError as exc:
        raise _invalid(_period_fields(exc, 1, "body"), exc.message) from None
    return json_response(order_out(booking.get_order(order.id), booking))


@bp.post("/orders/<reference>/lines")
@operation(ORDERS_WRITE, json=OrderLineAddIn, ok=OrderOut, status=201, errors=(404, 409), tags=TAGS)
def add_line(reference: str, json: OrderLineAddIn) -> Response:
    """One more line (a type or a kit) for an order not under way yet, for its period and
    in its state (AddOrderLine, as staff add one). Short: 409 with the alternatives."""
    booking = BookingFacade()
    order = _order(reference, booking)
    (line,) = _resolve([json], field="body")
    try:
        changed = booking.add_order_line(AddOrderLine(order.id, line))
    except OrderShort as exc:
        raise _short(exc.message, (line,), order.period, order.basis) from None
    except ValidationError as exc:
        raise _invalid(_period_fields(exc, 1, "body"), exc.message) from None
    return json_response(order_out(changed, booking), status=201)


@bp.post("/orders/<reference>/cancel")
@operation(ORDERS_WRITE, json=CancelIn, ok=CancellationOut, errors=(404, 409), tags=TAGS)
def cancel_order(reference: str, json: CancelIn) -> Response:
    """Cancel every line still to come (a line on hire refuses it all), free unless
    `charge_fee`; answers the fee applied and the order's balance afterwards, as the staff
    page previews them."""
    reason = " ".join(json.reason.split())
    if not reason:
        raise _invalid({"reason": "Say why the booking is cancelled."})
    booking = BookingFacade()
    order = _order(reference, booking)
    if json.charge_fee:
        preview = booking.cancellation_preview(order.first.id, whole_order=True)
    else:
        lines = [r.id for r in order.lines if r.can_cancel or r.on_hire] or [order.first.id]
        preview = PaymentsFacade().cancellation_preview(order.id, lines, None)
    booking.cancel_order(order.id, f"{reason} ({_actor()})", charge_fee=json.charge_fee)
    fee = preview.fee if json.charge_fee else Money.zero(preview.paid.currency)
    body = CancellationOut(
        order=order_out(booking.get_order(order.id), booking),
        fee=money(fee),
        paid=money(preview.paid),
        balance_after=money(preview.balance_after),
        refund_due=money(preview.refund_due),
    )
    return json_response(body)
