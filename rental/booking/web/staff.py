"""Staff pages under /admin/reservations: the list, a reservation and what staff may do with
it, and the open holds and requests."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from rental.booking.application.commands import AddOrderLine
from rental.booking.application.deposits import DEPOSIT_NOT_HELD
from rental.booking.application.late_returns import LateFeeChoice
from rental.booking.application.queries import (
    MATCHED_CUSTOMERS_MAX,
    SEARCH_MAX,
    StaffActions,
)
from rental.booking.domain.models import ReservationStatus
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.booking.web.blueprints import admin_bp
from rental.booking.web.forms import item_line
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.inventory import InventoryFacade, ReallocateItem
from rental.payments import PaymentsFacade, check_waiver
from rental.shared.errors import (
    DomainError,
    NeedsConfirmation,
    NotFoundError,
    ValidationError,
)
from rental.shared.parsing import page_number, parse_date, parse_int
from rental.shared.sections import sections
from rental.shared.spreadsheet import csv_download
from rental.shared.time_range import utcnow
from rental.shared.web import (
    confirm_warnings,
    confirmed_codes,
    current_actor,
    render,
)

# --- staff pages -------------------------------------------------------------------------------


STATUSES = [s.value for s in ReservationStatus]


def _filter_day(args: Any, name: str, label: str, problems: list[str]):
    try:
        return parse_date(args.get(name), field=name, label=label)
    except ValidationError as exc:
        problems.append(f"{exc.message} The filter was left out.")
        return None


def _list_filter(booking: BookingFacade, customers: CustomerFacade, problems: list[str]):
    """The list's filters as sent (a bad one left out, with a message in `problems`): the
    query and the customer filtered by. The list and its CSV exports share them."""
    tz = booking.policy.timezone
    args = request.args
    status = args.get("status") if args.get("status") in STATUSES else None
    day_from = _filter_day(args, "from", "'from' day", problems)
    day_to = _filter_day(args, "to", "'to' day", problems)
    customer = _customer_filter(customers, args.get("customer"), problems)
    query = ListReservations(
        status=status,
        equipment_type_id=args.get("type") or None,
        customer_id=customer.id if customer else None,
        starts_from=datetime.combine(day_from, datetime.min.time(), tz) if day_from else None,
        starts_before=datetime.combine(day_to + timedelta(days=1), datetime.min.time(), tz)
        if day_to
        else None,
        needs_attention=True if args.get("attention") == "1" else None,
        text=args.get("q", "")[:SEARCH_MAX] or None,
        page=page_number(args.get("page")),
    )
    return query, customer


@admin_bp.get("/")
def list_reservations() -> Response:
    booking = BookingFacade()
    args = request.args
    problems: list[str] = []
    customers = CustomerFacade()
    query, customer = _list_filter(booking, customers, problems)
    catalog = CatalogFacade()
    page = booking.list_reservations(query)
    types = catalog.get_equipment_type_summaries({r.equipment_type_id for r in page.items})
    people = customers.get_customers({r.customer_id for r in page.items})
    filters = {k: v for k, v in args.items() if k != "page" and v}
    return render(
        "booking/admin/list.html",
        "results",
        page=page,
        types=types,
        people=people,
        customer=customer,
        all_types=all_types(catalog),
        filters=filters,
        everyone={k: v for k, v in filters.items() if k != "customer"},
        statuses=STATUSES,
        problems=problems,
        matched_max=MATCHED_CUSTOMERS_MAX,
    )


# --- the list as CSV (its filters, every page; a bad filter left out as the list does) -----------

LINES_HEADER = (
    "Line ID",
    "Line reference",
    "Order reference",
    "Order ID",
    "Line",
    "Customer ID",
    "Customer",
    "Equipment type ID",
    "Equipment type",
    "Quantity",
    "Start (UTC)",
    "End (UTC)",
    "Status",
    "Total",
    "Currency",
    "Channel",
    "Created (UTC)",
)
ORDERS_HEADER = (
    "Order ID",
    "Order reference",
    "Customer ID",
    "Customer",
    "Customer email",
    "Lines",
    "First start (UTC)",
    "Last end (UTC)",
    "Status",
    "Total",
    "Currency",
    "Channel",
    "Created (UTC)",
)
EXPORT_BATCH = 500  # orders looked up together (their customers' names: one query)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@admin_bp.get("/export.csv")
def export_lines() -> Response:
    """The list's reservations (order lines) as CSV, streamed a batch at a time."""
    booking, customers, catalog = BookingFacade(), CustomerFacade(), CatalogFacade()
    query, _ = _list_filter(booking, customers, [])

    def rows():
        for batch in booking.export_lines(query):
            people = customers.get_customers({r.customer_id for r, _ in batch})
            types = catalog.get_equipment_type_summaries({r.equipment_type_id for r, _ in batch})
            for r, order_reference in batch:
                person, kind = people.get(r.customer_id), types.get(r.equipment_type_id)
                yield (
                    r.id,
                    r.reference,
                    order_reference,
                    r.order_id,
                    r.line_no,
                    r.customer_id,
                    person.name if person else "",
                    r.equipment_type_id,
                    kind.name if kind else "",
                    r.quantity,
                    _utc(r.period.start),
                    _utc(r.period.end),
                    r.status.label.capitalize(),
                    r.quote.total.amount,
                    r.quote.total.currency,
                    r.channel.value.capitalize(),
                    _utc(r.created_at),
                )

    return csv_download(f"order-lines-{utcnow():%Y-%m-%d}.csv", LINES_HEADER, rows())


@admin_bp.get("/orders.csv")
def export_orders() -> Response:
    """The orders with a reservation the list finds, as CSV (one row per order, its matching
    lines summed), streamed a batch at a time."""
    booking, customers = BookingFacade(), CustomerFacade()
    query, _ = _list_filter(booking, customers, [])

    def rows():
        orders = booking.export_orders(query)
        while batch := list(islice(orders, EXPORT_BATCH)):
            people = customers.get_customers({o.customer_id for o in batch})
            for o in batch:
                person = people.get(o.customer_id)
                yield (
                    o.id,
                    o.reference,
                    o.customer_id,
                    person.name if person else "",
                    person.email if person else "",
                    len(o.lines),
                    _utc(min(line.period.start for line in o.lines)),
                    _utc(max(line.period.end for line in o.lines)),
                    o.status,
                    o.total,
                    o.currency,
                    o.channel.capitalize(),
                    _utc(o.created_at),
                )

    return csv_download(f"orders-{utcnow():%Y-%m-%d}.csv", ORDERS_HEADER, rows())


def _customer_filter(customers: CustomerFacade, value: str | None, problems: list[str]):
    """The customer whose bookings are listed (`?customer=<id>`, the customer page's link)."""
    if not value:
        return None
    try:
        return customers.get_customer_by_id(value)
    except NotFoundError:
        problems.append("There is no such customer. The customer filter was left out.")
        return None


def all_types(catalog: CatalogFacade):
    from rental.catalog import SearchEquipmentTypes

    return catalog.search_equipment_types(SearchEquipmentTypes(page_size=100, sort="name")).items


# --- a booking made by staff (phone, walk-in) --------------------------------------------------

FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
CUSTOMER_MATCHES = 10


def _form_token(value: str | None) -> str:
    """The form's token as sent when it is one of ours in shape, else a new one."""
    return value if value and FORM_TOKEN.fullmatch(value) else secrets.token_urlsafe(24)


@admin_bp.route("/new", methods=["GET", "POST"])
def new_booking() -> Response:
    """The staff booking form moved to /admin/orders/new (several lines, quotes): links and
    bookmarks to this address land there with what they carried (`customer=`, a search)."""
    target = url_for("booking_orders.new_order", **request.args.to_dict())
    return redirect(target, code=307 if request.method == "POST" else 303)


@admin_bp.get("/<reservation_id>")
def detail(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)
    equipment = CatalogFacade().get_equipment_type_details(reservation.equipment_type_id)
    try:
        customer = CustomerFacade().get_customer_by_id(reservation.customer_id)
    except NotFoundError:
        customer = None
    inventory = InventoryFacade()
    allocations = inventory.list_allocations_for_reservation(reservation.id)
    holding = [a for a in allocations if a.status in ("ALLOCATED", "PICKED_UP", "RETURNED")]
    actions = booking.staff_actions(reservation, [(a.id, a.status) for a in holding])
    order = booking.get_order(reservation.order_id) if reservation.order_id else None
    catalog = CatalogFacade()
    addable = order is not None and order.may_add_lines
    # Several lines: "hand over everything ready" when another line can go out too.
    order_hand_over = (
        order is not None
        and order.several
        and any(
            booking.staff_actions(
                line,
                [(a.id, a.status) for a in inventory.list_allocations_for_reservation(line.id)],
            ).hand_over
            for line in order.lines
            if line.status in (ReservationStatus.CONFIRMED, ReservationStatus.ON_HIRE)
        )
    )
    return render(
        "booking/admin/detail.html",
        reservation=reservation,
        order=order,
        line_names=_line_names(order) if order is not None else {},
        equipment=equipment,
        customer=customer,
        allocations=holding,
        actions=actions,
        choices={
            a.id: inventory.free_items_for(reservation.id, a.id)
            for a in holding
            if a.id in actions.movable
        },
        swaps=booking.swap_options(reservation.id) if actions.swap_type else [],
        order_hand_over=order_hand_over,
        add_types=[t for t in all_types(catalog) if t.active] if addable else [],
        add_kits=catalog.list_kits(public_only=True) if addable else [],
        ledger=PaymentsFacade().get_ledger(reservation.order_id or reservation.id),
        # What cancelling this line would cost by the payment policy (staff choose to charge it).
        cancellation=booking.cancellation_preview(reservation.id, whole_order=False)
        if actions.cancel
        else None,
        money_order_id=reservation.order_id or reservation.id,
        # A line back late: the fee the return form proposes, and the decision once made.
        late_fee=booking.late_fee_proposal(reservation) if actions.take_back else None,
        late_fee_decision=PaymentsFacade().get_late_fee_decision(reservation.id),
        # What modules above Booking show about the order (Notifications: its e-mails).
        order_sections=sections("order", reservation.order_id or reservation.id),
    )


@admin_bp.post("/<reservation_id>/add-line")
def admin_add_line(reservation_id: str) -> Response:
    """One more line (a type or a kit) for the reservation's order: checked like a new
    booking, in the order's state; refused with the reason, nothing written."""
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)  # 404 if unknown
    before = max(r.line_no for r in booking.get_order(reservation.order_id).lines)
    try:
        quantity = parse_int(
            request.form.get("qty"), field="qty", label="number", minimum=1, maximum=999
        )
        line = item_line(str(request.form.get("item") or ""), quantity)
        if line is None:
            raise ValidationError("Choose the equipment or kit to add.", field="item")
        order = booking.add_order_line(AddOrderLine(reservation.order_id, line))
    except DomainError as exc:
        flash(f"Nothing was added: {exc.message}", "error")
    else:
        added = next(r for r in order.lines if r.line_no > before)
        flash(
            f"Added to {order.reference}: {added.reference} and any kit parts after it.", "success"
        )
    return redirect(url_for("booking_admin.detail", reservation_id=reservation.id), code=303)


def _line_names(order) -> dict[str, str]:
    """Each line's name on the order section: its type, and the kit it was booked as."""
    catalog = CatalogFacade()
    types = catalog.get_equipment_type_summaries({r.equipment_type_id for r in order.lines})
    kits: dict[str, str] = {}
    for kit_id in {r.kit_id for r in order.lines if r.kit_id}:
        try:
            kits[kit_id] = catalog.get_kit(kit_id).name
        except NotFoundError:
            kits[kit_id] = "a kit"
    names = {}
    for r in order.lines:
        summary = types.get(r.equipment_type_id)
        name = summary.name if summary else "Equipment no longer listed"
        names[r.id] = f"{name} (in {kits[r.kit_id]})" if r.kit_id else name
    return names


HAND_OVER_ASKS = "Hand over before the start?"


def _hand_over_title(warnings) -> str:
    """The hand-over's confirm page title: an early pick-up, a deposit not paid, or both."""
    codes = {w.code for w in warnings}
    if codes == {DEPOSIT_NOT_HELD}:
        return "Hand over without the deposit?"
    if DEPOSIT_NOT_HELD in codes:
        return "Hand over now?"
    return HAND_OVER_ASKS


def _act(
    reservation_id: str,
    action,
    success: str | None,
    *,
    asks: str | None = None,
    destructive: str | None = None,
) -> Response:
    """Run a staff action and go back to the reservation with its outcome. With `asks` (the
    confirm page's title), an action that needs a confirmation (NeedsConfirmation: nothing
    was saved) shows the warnings, and "Continue anyway" sends the same form again with their
    codes in `confirm`. A `destructive` action (StaffActions.question) runs only once its
    code is confirmed: the first post shows the question (no JavaScript needed; with it, the
    form's dialog sends the code already)."""
    reservation = BookingFacade().get_reservation(reservation_id)  # 404 if unknown
    reservation_id = reservation.id
    back = url_for("booking_admin.detail", reservation_id=reservation_id)
    try:
        if destructive and destructive not in confirmed_codes(request.form):
            question = StaffActions.question(destructive, reservation)
            raise NeedsConfirmation([question])
        action()
        if success:
            flash(success, "success")
    except NeedsConfirmation as exc:
        if destructive and [w.code for w in exc.warnings] == [destructive]:
            return confirm_warnings(
                exc.warnings,
                title=str(asks),
                action=url_for(str(request.endpoint), reservation_id=reservation_id),
                fields=request.form.to_dict(),
                back=back,
                confirm_label=f"Yes, {asks.lower().rstrip('?')}" if asks else "Yes",
            )
        if asks is None:
            flash(exc.message, "error")
        else:
            return confirm_warnings(
                exc.warnings,
                title=_hand_over_title(exc.warnings) if asks == HAND_OVER_ASKS else asks,
                action=url_for(str(request.endpoint), reservation_id=reservation_id),
                fields=request.form.to_dict(),
                back=back,
            )
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(back, code=303)


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
    # Free by default; the policy's fee only when staff tick it (the form shows the amount).
    charge_fee = request.form.get("charge_fee") == "on"
    return _act(
        reservation_id,
        lambda: booking.cancel_reservation(reservation_id, reason, charge_fee=charge_fee),
        "Reservation cancelled."
        + (" The cancellation fee is charged to the order." if charge_fee else ""),
        asks="Cancel this reservation?",
        destructive="cancel",
    )


@admin_bp.post("/<reservation_id>/convert-quote")
def admin_convert_quote(reservation_id: str) -> Response:
    """A quote becomes a confirmed booking, every line checked again (refused, as a message,
    when the equipment is no longer free)."""
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.confirm_reservation(reservation_id, approve=True),
        "The quote is now a confirmed booking.",
    )


@admin_bp.post("/<reservation_id>/discard-quote")
def admin_discard_quote(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)  # 404 if unknown
    return _act(
        reservation_id,
        lambda: booking.discard_quote(
            reservation.order_id or reservation.id, f"Quote discarded by staff ({current_actor()})"
        ),
        "Quote discarded.",
        asks="Discard this quote?",
        destructive="discard_quote",
    )


@admin_bp.post("/<reservation_id>/hand-over")
def admin_hand_over(reservation_id: str) -> Response:
    booking = BookingFacade()
    confirmed = confirmed_codes(request.form)
    return _act(
        reservation_id,
        lambda: booking.hand_over(reservation_id, current_actor(), confirmed),
        "Marked as picked up.",
        asks=HAND_OVER_ASKS,
    )


@admin_bp.post("/<reservation_id>/hand-over-order")
def admin_hand_over_order(reservation_id: str) -> Response:
    """The order section's "Hand over everything ready": every line at once."""
    booking = BookingFacade()
    confirmed = confirmed_codes(request.form)
    return _act(
        reservation_id,
        lambda: booking.hand_over_order(reservation_id, current_actor(), confirmed),
        "Everything ready is marked as picked up.",
        asks=HAND_OVER_ASKS,
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

    # A late return's fee: added unless staff waive it (a waiver needs its reason).
    choice = LateFeeChoice(
        waive=request.form.get("late_fee") == "waive",
        reason=str(request.form.get("late_fee_reason") or ""),
    )
    try:  # a waiver without its reason: said next to the field, nothing written
        check_waiver(choice.waive, choice.reason)
    except ValidationError as exc:
        flash(exc.message, "error")
        back = url_for(
            "booking_admin.detail",
            reservation_id=reservation_id,
            late_fee_error="1",
            _anchor="late-fee",
        )
        return redirect(back, code=303)

    def take_back() -> None:
        outcome = booking.return_items(reservation_id, damaged, current_actor(), returned, choice)
        still_out = outcome.still_out
        if outcome.late_fee is not None:
            fee = outcome.late_fee
            if fee.waived:
                flash(f"Late fee of {fee.amount.format()} waived: {fee.reason}", "info")
            else:
                flash(f"Late fee of {fee.amount.format()} added ({fee.description}).", "info")
        if outcome.problem:
            flash(outcome.problem, "warning")
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
        asks="Mark as a no-show?",
        destructive="no_show",
    )


@admin_bp.post("/<reservation_id>/retry-allocation")
def admin_retry_allocation(reservation_id: str) -> Response:
    booking = BookingFacade()
    reservation = booking.get_reservation(reservation_id)

    def retry() -> None:
        outcome = InventoryFacade().replan(reservation.equipment_type_id)
        short = {s.reservation_id for s in (*outcome.newly_short, *outcome.still_short)}
        if reservation.id in short:
            flash("Still not enough items free for this booking.", "warning")
        else:
            flash("Items allocated.", "success")

    return _act(reservation_id, retry, None)


@admin_bp.post("/<reservation_id>/reallocate")
def admin_reallocate(reservation_id: str) -> Response:
    item_id = request.form.get("item_id") or None

    def reallocate() -> None:
        serial = InventoryFacade().reallocate(
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


@admin_bp.post("/<reservation_id>/typed-details/reviewed")
def admin_typed_details_reviewed(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(
        reservation_id,
        lambda: booking.forget_typed_details(reservation_id),
        "The details typed at booking were removed.",
    )


@admin_bp.post("/<reservation_id>/clear-attention")
def admin_clear_attention(reservation_id: str) -> Response:
    booking = BookingFacade()
    return _act(reservation_id, lambda: booking.clear_attention(reservation_id), "Flag cleared.")


# --- a customer's bookings, on the customer's page (rental.shared.sections) --------------------

CUSTOMER_SECTION_SIZE = 20


def customer_bookings_section(customer_id: str) -> str:
    """The customer page's "Bookings" section: the newest first (by start), linked."""
    page = BookingFacade().list_reservations(
        ListReservations(customer_id=customer_id, page_size=CUSTOMER_SECTION_SIZE)
    )
    types = CatalogFacade().get_equipment_type_summaries({r.equipment_type_id for r in page.items})
    return render_template(
        "booking/admin/_customer_bookings.html",
        page=page,
        types=types,
        customer_id=customer_id,
    )


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
    people = CustomerFacade().get_customers({r.customer_id for r in page.items})
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
