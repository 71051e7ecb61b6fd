"""The public event types an endpoint subscribes to, and the JSON each delivery carries:

    {"type": "reservation.confirmed", "timestamp": "2026-11-26T20:55:46+00:00", "data": {...}}

`timestamp` is when the event happened (the outbox message's time). `data` holds IDs and
business data; a customer's name, e-mail and phone only for an endpoint granted the
`customers` scope (then as `data.customer`). Which contract event becomes which type is in
EVENT_TYPES; docs/architecture.md ("Webhooks") lists each type's fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class EventType:
    name: str  # the public dotted name
    label: str  # the admin page's checkbox
    group: str


# contract event (its event_type) → public type. `order.confirmed` is derived (once per order
# from the first ReservationConfirmed of its lines) and `webhook.test` is the test button's.
EVENT_TYPES: dict[str, EventType] = {
    "ReservationCreated": EventType("reservation.created", "A booking line was held", "Bookings"),
    "ReservationConfirmed": EventType(
        "reservation.confirmed", "A booking line was confirmed", "Bookings"
    ),
    "ReservationChanged": EventType("reservation.changed", "A booking changed", "Bookings"),
    "ReservationCancelled": EventType(
        "reservation.cancelled", "A booking line was cancelled", "Bookings"
    ),
    "ReservationExpired": EventType("reservation.expired", "A hold expired", "Bookings"),
    "ReservationHandedOver": EventType(
        "reservation.handed_over", "Equipment was handed over", "Bookings"
    ),
    "ReservationCompleted": EventType("reservation.completed", "Everything came back", "Bookings"),
    "ReservationNoShow": EventType("reservation.no_show", "A customer did not come", "Bookings"),
    "ItemsAllocated": EventType("items.allocated", "Items were allocated", "Inventory"),
    "AllocationFailed": EventType(
        "items.allocation_failed", "Items could not be allocated", "Inventory"
    ),
    "ReturnOverdue": EventType("item.return_overdue", "An item is overdue", "Inventory"),
    "PaymentReceived": EventType("payment.received", "A payment was recorded", "Payments"),
    "RefundIssued": EventType("refund.issued", "A refund was recorded", "Payments"),
    "ChargeAdded": EventType("charge.added", "A charge was added", "Payments"),
    "EntryReversed": EventType("ledger_entry.reversed", "A ledger entry was reversed", "Payments"),
    "DepositReleased": EventType("deposit.released", "A deposit was released", "Payments"),
    "InvoiceIssued": EventType("invoice.issued", "An invoice was issued", "Payments"),
    "CreditNoteIssued": EventType("credit_note.issued", "A credit note was issued", "Payments"),
    "CustomerRegistered": EventType("customer.registered", "A customer registered", "Customers"),
    "CustomerProfileUpdated": EventType("customer.updated", "A customer was updated", "Customers"),
    "CustomerAnonymised": EventType(
        "customer.anonymised", "A customer was anonymised", "Customers"
    ),
    "CustomerDeleted": EventType("customer.deleted", "A customer was deleted", "Customers"),
    "LoyaltyTierChanged": EventType(
        "customer.loyalty_tier_changed", "A loyalty tier changed", "Customers"
    ),
}
ORDER_CONFIRMED = EventType("order.confirmed", "An order was confirmed", "Bookings")
TEST = "webhook.test"

# What an endpoint may subscribe to, in the order the admin page shows them.
PUBLIC_TYPES: tuple[EventType, ...] = (ORDER_CONFIRMED, *EVENT_TYPES.values())
PUBLIC_NAMES = frozenset(t.name for t in PUBLIC_TYPES)

# Free text some events carry that may name a person (a staff note, a reason typed in):
# left out of every payload.
_FREE_TEXT = frozenset({"note", "reason", "actor"})
# Kept where they are codes, not free text.
_CODES = {"AllocationFailed": {"reason"}, "LoyaltyTierChanged": {"reason"}}


def event_data(event_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The `data` of a contract event's payload (its JSON fields), free text left out."""
    keep = _CODES.get(event_type, set())
    data = {k: v for k, v in fields.items() if k not in _FREE_TEXT or k in keep}
    if event_type.startswith("Reservation"):
        data.pop("sequence", None)
        data["order_id"] = data.get("order_id") or data.get("reservation_id")
    return data


def with_customer(
    data: dict[str, Any], person: dict[str, str] | None, scope: bool
) -> dict[str, Any]:
    """`data` plus `customer` (name, e-mail, phone) when the endpoint has the customers scope
    and the customer is known; otherwise `data` as it is (IDs only)."""
    if not scope or person is None or "customer_id" not in data:
        return data
    return {**data, "customer": {"id": data["customer_id"], **person}}


def envelope(public_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The request body, as sent (and as signed): compact JSON."""
    body = {"type": public_type, "timestamp": timestamp.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
