"""The event-driven notifications, one sender each (subscribed in event_handlers.py; the
ones sent on time are jobs: jobs.py): order confirmed, changed (period, quantity, type, a line
added), cancelled, the overdue notice, the links to a customer's open orders; to the shop: a
new online order, an overdue return. And what every notification shares: compose_and_send
and mail_customer, the customer's address at send time (customer_address), consent
(may_send).

Each runs in the worker's transaction with its inbox row (a redelivered event sends nothing
twice), reads what it needs at send time — the order from BookingFacade, the customer's
address from CustomerFacade, the shop's name, address and hours from ShopFacade — renders an
HTML and a plain-text part from templates/notifications/mail/, sends it and records it.

Booking publishes one event per order LINE; a notification about the ORDER is keyed on the
order's ID in notifications_messages, so it goes out once whichever line's event comes first.

A mail that cannot be sent raises MailNotSent: the handler's transaction rolls back (the
booking itself was committed long before), the failure is recorded on its own, and the
outbox retries with backoff and finally dead-letters the event, visible at /admin/outbox."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template, url_for
from sqlalchemy import event as sa_event

from rental.booking import (
    BookingChannel,
    BookingFacade,
    Order,
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
    ReservationStatus,
)
from rental.calendars import ICS_MIMETYPE, CalendarsFacade
from rental.catalog import CatalogFacade
from rental.contracts.inventory import ReturnOverdue
from rental.contracts.notifications import BookingLinksRequested
from rental.crm import CRMFacade
from rental.customers import CustomerFacade
from rental.inventory import InventoryFacade
from rental.notifications.domain import consent
from rental.notifications.domain.notification import (
    BOOKING_LINKS,
    ORDER_CANCELLED,
    ORDER_CHANGED,
    ORDER_CONFIRMED,
    OVERDUE_NOTICE,
    SENT,
    STAFF_NEW_ORDER,
    STAFF_OVERDUE,
    Attachment,
    Outgoing,
)
from rental.notifications.infrastructure import mailer
from rental.notifications.infrastructure.messages import (
    already_sent,
    claim,
    mark_sent,
    record_failed,
    sent_at,
)
from rental.payments import PaymentsFacade
from rental.shared.db import db
from rental.shared.errors import NotFoundError
from rental.shared.time_range import utcnow
from rental.shared.web import format_datetime, format_period
from rental.shop import ShopFacade

log = logging.getLogger(__name__)

_OVER = (ReservationStatus.CANCELLED, ReservationStatus.EXPIRED)


def now() -> datetime:
    """The time notifications are decided at: the real time, or
    `app.extensions["notifications.clock"]` (tests move time instead of waiting)."""
    clock = current_app.extensions.get("notifications.clock") or utcnow
    return clock()


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail (no request in the worker): PUBLIC_URL, else the
    address the web process listens on."""
    config = current_app.config
    base = config.get("PUBLIC_URL") or f"http://{config.get('HOST')}:{config.get('PORT')}"
    with current_app.test_request_context("/", base_url=base):
        return url_for(endpoint, _external=True, **values)


def manage_url(booking: BookingFacade, order: Order) -> str:
    token = booking.signed_manage_token(order.id)
    return external_url("booking.manage", reference=order.reference, token=token)


def _shop_context() -> dict[str, Any]:
    shop = ShopFacade().get_settings()
    return {"shop": shop, "shop_name": shop.name or "RentKit"}


def _lines(order: Order, names: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": names[r.equipment_type_id].name
            if r.equipment_type_id in names
            else "Equipment",
            "quantity": r.quantity,
            "total": r.total,
            "cancelled": r.status is ReservationStatus.CANCELLED,
        }
        for r in order.lines
    ]


def _order_context(booking: BookingFacade, order: Order) -> dict[str, Any]:
    names = CatalogFacade().get_equipment_type_summaries({r.equipment_type_id for r in order.lines})
    return {
        **_shop_context(),
        "order": order,
        "lines": _lines(order, names),
        "manage_url": manage_url(booking, order),
    }


def _render(template: str, **context: Any) -> tuple[str, str]:
    return (
        render_template(f"notifications/mail/{template}.txt", **context),
        render_template(f"notifications/mail/{template}.html", **context),
    )


def _send(mail: Outgoing, shop_name: str) -> None:
    """Send and record in the handler's transaction; on failure record it on its own once
    the handler's transaction has rolled back, and raise for the outbox to retry."""
    row = claim(mail, utcnow())
    if row.status == SENT:
        return  # sent by another worker while this one was waiting for the row
    try:
        mailer.deliver(mail, shop_name)
    except mailer.MailNotSent as exc:
        error = str(exc)
        session = db.session()

        def _record(*_args: Any) -> None:
            try:
                record_failed(mail, error, utcnow())
            except Exception as record_error:  # never hide the mail error behind this one
                log.warning("could not record the failed e-mail %s: %s", mail.key, record_error)

        sa_event.listen(session, "after_rollback", _record, once=True)
        raise
    mark_sent(row, utcnow())


def compose_and_send(
    key: str,
    template: str,
    to: str,
    subject: str,
    context: dict[str, Any],
    order: Order | None = None,
    attachments: tuple[Attachment, ...] = (),
    customer_id: str | None = None,
) -> None:
    """Render `template` (both parts) with `context` and send it as notification `key`,
    recorded against the order and its customer (or `customer_id` for a mail about no order)."""
    text, html = _render(template, subject=subject, **context)
    _send(
        Outgoing(
            key=key,
            template=template,
            to=to,
            subject=subject,
            text=text,
            html=html,
            message_id=mailer.new_message_id(),
            order_id=order.id if order else None,
            order_reference=order.reference if order else "",
            customer_id=order.customer_id if order else customer_id,
            attachments=attachments,
        ),
        context.get("shop_name") or "RentKit",
    )


def may_send(customer_id: str, kind: consent.Kind) -> bool:
    """Whether a mail of `kind` may go to the customer now (consent.may_send, asking CRM's
    communication preferences at send time)."""
    return consent.may_send(kind, lambda: CRMFacade().get_preferences(customer_id).marketing_email)


def customer_address(customer_id: str) -> tuple[str, str] | None:
    """(name, e-mail) at send time; None for an anonymised or deleted customer (no mail)."""
    try:
        customer = CustomerFacade().get_customer_by_id(customer_id)
    except NotFoundError:
        return None
    if customer.anonymised_at is not None or not customer.email:
        return None
    return customer.name, customer.email


def mail_customer(
    key: str,
    template: str,
    order: Order,
    subject: str,
    extra: dict[str, Any] | None = None,
    *,
    context: dict[str, Any] | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """The common case: a mail about `order` to its customer at the address they have now
    (none, and no error, for an anonymised customer). The order's context (lines, shop, manage
    link; or `context` when the caller built it already) and `extra` fill the template; the
    subject ends with the shop's name."""
    contact = customer_address(order.customer_id)
    if contact is None:
        return
    context = context if context is not None else _order_context(BookingFacade(), order)
    compose_and_send(
        key,
        template,
        contact[1],
        f"{subject} – {context['shop_name']}",
        {**context, "customer_name": contact[0], **(extra or {})},
        order,
        attachments=attachments,
    )


def send_order_confirmed(order_id: str) -> None:
    key = f"{ORDER_CONFIRMED}:{order_id}"
    if already_sent(key):
        return
    booking = BookingFacade()
    order = booking.get_order(order_id)
    if order.status in _OVER:
        return  # cancelled before the worker got to it: the cancellation mail says so
    context = _order_context(booking, order)
    # The pick-up and the return for the customer's calendar: the manage page's .ics.
    calendars = CalendarsFacade()
    ics = Attachment(
        calendars.ics_filename(order.reference),
        calendars.order_ics(order.id, context["manage_url"]),
        ICS_MIMETYPE,
    )
    mail_customer(
        key,
        ORDER_CONFIRMED,
        order,
        f"Booking confirmed: {order.reference}",
        context=context,
        attachments=(ics,),
    )


# Orders nobody at the shop has seen yet: from the web shop, and from programs using the API
# (a website builder's booking form) — both want the same alert, named by where they came from.
_ALERTED_CHANNELS = {
    BookingChannel.ONLINE: "New online order",
    BookingChannel.API: "New order through the API:",
}


def send_staff_new_order(order_id: str) -> None:
    key = f"{STAFF_NEW_ORDER}:{order_id}"
    if already_sent(key):
        return
    booking = BookingFacade()
    order = booking.get_order(order_id)
    if order.channel not in _ALERTED_CHANNELS or order.status in _OVER:
        return  # staff made it themselves, or it is over already
    shop = ShopFacade().get_settings()
    if not shop.email:
        return  # the shop has given no address to alert
    context = _order_context(booking, order)
    contact = customer_address(order.customer_id)
    subject = f"{_ALERTED_CHANNELS[order.channel]} {order.reference}"
    compose_and_send(
        key,
        STAFF_NEW_ORDER,
        shop.email,
        subject,
        {
            **context,
            "manage_url": "",  # the customer's link is theirs, not the shop's
            "customer_name": contact[0] if contact else "(anonymised)",
            "customer_email": contact[1] if contact else "",
            "admin_url": external_url("booking_admin.detail", reservation_id=order.first.id),
        },
        order,
    )


def send_cancelled(event: ReservationCancelled) -> None:
    """The whole order cancelled: one mail per order (the event with the fee comes first:
    Booking records the fee on the first line cancelled). An item taken out of an order that
    goes on: one mail for that item."""
    booking = BookingFacade()
    order = booking.get_order(event.order)
    whole = all(r.status is ReservationStatus.CANCELLED for r in order.lines)
    key = f"{ORDER_CANCELLED}:{order.id}" if whole else f"item_removed:{event.reservation_id}"
    if already_sent(key):
        return
    contact = customer_address(order.customer_id)
    if contact is None:
        return
    context = _order_context(booking, order)
    removed = next(
        (
            line
            for r, line in zip(order.lines, context["lines"], strict=True)
            if r.id == event.reservation_id
        ),
        None,
    )
    subject = (
        f"Booking cancelled: {order.reference} – {context['shop_name']}"
        if whole
        else f"Item removed from booking {order.reference} – {context['shop_name']}"
    )
    compose_and_send(
        key,
        ORDER_CANCELLED,
        contact[1],
        subject,
        {
            **context,
            "customer_name": contact[0],
            "whole": whole,
            "removed": removed,
            "reason": event.reason,
            "fee": event.fee,
        },
        order,
    )


def _names(type_ids: set[str]) -> dict[str, str]:
    summaries = CatalogFacade().get_equipment_type_summaries(type_ids)
    return {t: summaries[t].name if t in summaries else "Equipment" for t in type_ids}


def _what_changed(event: ReservationChanged) -> list[dict[str, str]]:
    """(what, before, after) of one change, as far as the event tells: the period (the whole
    order's), the line's quantity, the line's equipment type."""
    changes = []
    if event.previous_period is not None and event.previous_period != event.period:
        changes.append(
            {
                "what": "When",
                "before": format_period(event.previous_period),
                "after": format_period(event.period),
            }
        )
    names = _names({event.equipment_type_id, event.previous_equipment_type_id})
    if event.previous_equipment_type_id != event.equipment_type_id:
        changes.append(
            {
                "what": "Item",
                "before": names[event.previous_equipment_type_id],
                "after": names[event.equipment_type_id],
            }
        )
    if event.previous_quantity is not None and event.previous_quantity != event.quantity:
        changes.append(
            {
                "what": f"How many ({names[event.equipment_type_id]})",
                "before": str(event.previous_quantity),
                "after": str(event.quantity),
            }
        )
    return changes


def send_order_changed(event: ReservationChanged) -> None:
    """One mail per change of a live booking, keyed by the changed line and its version: a
    redelivered event sends nothing twice, a second change (a newer version) sends another.
    A new period moves every line of the order (one event each); the lines moved along
    (`moved_with`) are in the changed line's mail. A changed hold is no booking yet: its
    confirmation tells the new period."""
    if not event.is_live or event.moved_with:
        return
    key = f"{ORDER_CHANGED}:{event.reservation_id}:{event.sequence}"
    if already_sent(key):
        return
    changes = _what_changed(event)
    if not changes:
        return
    booking = BookingFacade()
    order = booking.get_order(event.order)
    if order.status in _OVER:
        return  # cancelled meanwhile: the cancellation mail says so
    mail_customer(
        key, ORDER_CHANGED, order, f"Booking changed: {order.reference}", {"changes": changes}
    )


def send_line_added(event: ReservationConfirmed) -> None:
    """A line added to a confirmed order (staff, or the customer through the manage link):
    "booking changed", once for the lines added together (a kit is several). A line that
    was there when the confirmation was sent is in that mail already: nothing then — nor
    before the confirmation went out (it will list the line)."""
    booking = BookingFacade()
    order = booking.get_order(event.order)
    line = next((r for r in order.lines if r.id == event.reservation_id), None)
    if line is None or line.created_at <= order.first.created_at or order.status in _OVER:
        return  # one of the lines the order was booked with
    confirmed = sent_at(f"{ORDER_CONFIRMED}:{order.id}")
    if confirmed is None or confirmed >= line.created_at:
        return
    key = f"{ORDER_CHANGED}:{order.id}:added:{line.created_at:%Y%m%dT%H%M%S%f}"
    if already_sent(key):
        return
    context = _order_context(booking, order)
    added = [
        row
        for r, row in zip(order.lines, context["lines"], strict=True)
        if r.created_at == line.created_at and r.status is not ReservationStatus.CANCELLED
    ]
    changes = [
        {"what": "Added", "before": "", "after": f"{row['quantity']} × {row['name']}"}
        for row in added
    ]
    mail_customer(
        key,
        ORDER_CHANGED,
        order,
        f"Booking changed: {order.reference}",
        {"changes": changes},
        context=context,
    )


def _overdue_lines(booking: BookingFacade, order: Order, at: datetime) -> list[dict[str, Any]]:
    """The order's lines still out after their end: name, quantity, when due, the serial
    numbers of the items not back."""
    late = [r for r in order.lines if r.status is ReservationStatus.ON_HIRE and r.period.end <= at]
    names = _names({r.equipment_type_id for r in late})
    inventory = InventoryFacade()
    return [
        {
            "name": names[r.equipment_type_id],
            "quantity": r.quantity,
            "due_at": r.period.end,
            "due": format_datetime(r.period.end, with_year=True),
            "serials": [
                a.serial_number
                for a in inventory.list_allocations_for_reservation(r.id)
                if a.status == "PICKED_UP"
            ],
            "equipment_type_id": r.equipment_type_id,
        }
        for r in late
    ]


def _late_fee_applies(booking: BookingFacade, lines: list[dict[str, Any]], at: datetime) -> bool:
    """Whether the shop's rules charge for this lateness (a rate card to price it by, past the
    grace period): only then does the notice mention a late fee — it never invents one."""
    payments = PaymentsFacade()
    return any(
        payments.propose_late_fee(
            line["equipment_type_id"], line["due_at"], [at], booking.policy.timezone
        )
        is not None
        for line in lines
    )


def _overdue_order(event: ReturnOverdue) -> tuple[BookingFacade, Order] | None:
    booking = BookingFacade()
    try:
        line = booking.get_reservation(event.reservation_id)
    except NotFoundError:
        return None
    return booking, booking.get_order(line.order_id or line.id)


def _due_key(event: ReturnOverdue) -> str:
    return event.due_at.astimezone(UTC).strftime("%Y%m%dT%H%M")


def send_overdue_notice(event: ReturnOverdue) -> None:
    """Inventory noticed an item not back (one event per item): one notice to the customer
    per ORDER and due time — the order's other items overdue at the same moment are in the
    same mail; an order moved to a new end and late again gets a new one."""
    found = _overdue_order(event)
    if found is None:
        return
    booking, order = found
    key = f"{OVERDUE_NOTICE}:{order.id}:{_due_key(event)}"
    if already_sent(key):
        return
    context = _overdue_context(booking, order, event, now())
    if context is None:
        return
    subject = f"Please return your rental: {order.reference} is overdue"
    mail_customer(key, OVERDUE_NOTICE, order, subject, context=context)


def send_staff_overdue(event: ReturnOverdue) -> None:
    """The shop's alert for the same: once per order and due time, with whom to call."""
    found = _overdue_order(event)
    if found is None:
        return
    booking, order = found
    key = f"{STAFF_OVERDUE}:{order.id}:{_due_key(event)}"
    if already_sent(key):
        return
    shop = ShopFacade().get_settings()
    if not shop.email:
        return  # the shop has given no address to alert
    context = _overdue_context(booking, order, event, now())
    if context is None:
        return
    try:
        customer = CustomerFacade().get_customer_by_id(order.customer_id)
    except NotFoundError:
        customer = None
    known = customer if customer is not None and customer.anonymised_at is None else None
    compose_and_send(
        key,
        STAFF_OVERDUE,
        shop.email,
        f"Overdue: {order.reference} is not back",
        {
            **context,
            "manage_url": "",  # the customer's link is theirs, not the shop's
            "customer_name": known.name if known else "(anonymised)",
            "customer_email": known.email if known else "",
            "customer_phone": known.phone if known else "",
            "admin_url": external_url("booking_admin.detail", reservation_id=event.reservation_id),
        },
        order,
    )


def _overdue_context(
    booking: BookingFacade, order: Order, event: ReturnOverdue, at: datetime
) -> dict[str, Any] | None:
    lines = _overdue_lines(booking, order, at)
    if not lines:
        return None  # back meanwhile: nothing is overdue any more
    context = _order_context(booking, order)
    return {
        **context,
        "overdue": lines,
        "due": format_datetime(event.due_at, with_year=True),
        "late_fee": _late_fee_applies(booking, lines, at),
    }


def send_booking_links(event: BookingLinksRequested) -> None:
    """The "Find my booking" e-mail: ONE to the customer's address as it is now, listing each of
    their open orders with a fresh signed manage link — or, without any, saying so (the
    customer still gets an answer). An anonymised customer gets nothing. Keyed on the
    request, so a redelivered event sends nothing twice."""
    key = f"{BOOKING_LINKS}:{event.request_id}"
    if already_sent(key):
        return
    contact = customer_address(event.customer_id)
    if contact is None:
        return
    booking = BookingFacade()
    orders = booking.open_orders_of_customer(event.customer_id)
    names = CatalogFacade().get_equipment_type_summaries(
        {r.equipment_type_id for order in orders for r in order.lines}
    )
    context = {
        **_shop_context(),
        "customer_name": contact[0],
        "email": contact[1],
        "orders": [
            {
                "order": order,
                "lines": [line for line in _lines(order, names) if not line["cancelled"]],
                "manage_url": manage_url(booking, order),
            }
            for order in orders
        ],
        "catalog_url": external_url("storefront.catalog"),
    }
    subject = (
        f"Your bookings with {context['shop_name']}"
        if orders
        else f"No open bookings with {context['shop_name']}"
    )
    compose_and_send(
        key, BOOKING_LINKS, contact[1], subject, context, customer_id=event.customer_id
    )
