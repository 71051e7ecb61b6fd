"""The outbox subscribers: each published event a webhook type stands for becomes one pending
delivery per active endpoint subscribed to that type — inserted in the handler's transaction
with its inbox row, so a redelivered message adds nothing twice. Subscribed by event NAME (the
handler gets the stored Message: its ID orders the deliveries and its time is the payload's
`timestamp`) and decoded here. The subscription names key the inbox rows: never rename one.

Thin events are completed from the facades, only with what the type documents:
`order.confirmed` reads the order (reference, lines, total) from BookingFacade; the customer's
name, e-mail and phone come from CustomerFacade, for endpoints with the customers scope only."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from rental.booking import BookingFacade
from rental.customers import CustomerFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import NotFoundError
from rental.shared.events import Message, decode, subscribe, to_payload
from rental.webhooks.application import runtime
from rental.webhooks.domain.endpoints import Endpoint
from rental.webhooks.domain.events import (
    EVENT_TYPES,
    ORDER_CONFIRMED,
    envelope,
    event_data,
    with_customer,
)
from rental.webhooks.infrastructure import store
from rental.webhooks.infrastructure.entities import WebhookDeliveryEntity


def _person(customer_id: str | None) -> dict[str, str] | None:
    if not customer_id:
        return None
    try:
        customer = CustomerFacade().get_customer_by_id(customer_id)
    except NotFoundError:
        return None
    if customer.anonymised_at is not None:
        return None
    return {"name": customer.name, "email": customer.email, "phone": customer.phone}


def _order_data(order_id: str) -> dict[str, Any]:
    order = BookingFacade().get_order(order_id)
    return {
        "order_id": order.id,
        "order_reference": order.reference,
        "customer_id": order.customer_id,
        "status": order.status.value,
        "period": order.period.to_dict(),
        "total": order.total.to_dict(),
        "deposit": order.deposit.to_dict(),
        "lines": [
            {
                "reservation_id": r.id,
                "equipment_type_id": r.equipment_type_id,
                "quantity": r.quantity,
                "status": r.status.value,
                "total": r.total.to_dict(),
            }
            for r in order.lines
        ],
    }


def _queue(
    session,
    endpoints: list[Endpoint],
    public_type: str,
    message: Message,
    data: dict[str, Any],
    dedupe: str | None = None,
) -> None:
    now = runtime.now()
    customer_id = data.get("customer_id")
    person = None
    if customer_id and any(e.customers_scope for e in endpoints):
        person = _person(customer_id)
    for endpoint in endpoints:
        if dedupe and store.has_dedupe(session, endpoint.id, dedupe):
            continue
        body = envelope(
            public_type, message.occurred_at, with_customer(data, person, endpoint.customers_scope)
        )
        store.add_delivery(
            session,
            endpoint.id,
            public_type,
            body,
            now,
            dedupe_key=dedupe,
            outbox_message_id=message.id,
            customer_id=customer_id,
        )


def _handler(contract_type: str):
    public = EVENT_TYPES[contract_type].name

    def handle(message: Message) -> None:
        with unit_of_work() as session:
            endpoints = store.active_endpoints(session)
            wanted = [e for e in endpoints if e.wants(public)]
            orders = [e for e in endpoints if e.wants(ORDER_CONFIRMED.name)]
            if contract_type != "ReservationConfirmed":
                orders = []
            if not wanted and not orders:
                return
            event = decode(message)
            data = event_data(contract_type, to_payload(event))
            if wanted:
                _queue(session, wanted, public, message, data)
            if orders:
                order_id = data["order_id"]
                _queue(
                    session,
                    orders,
                    ORDER_CONFIRMED.name,
                    message,
                    _order_data(order_id),
                    dedupe=f"{ORDER_CONFIRMED.name}:{order_id}",
                )

    handle.__name__ = f"webhooks_{public.replace('.', '_')}"
    return handle


def _forget(message: Message) -> None:
    """A customer anonymised or deleted: deliveries not yet sent lose their personal data
    (`data.customer`); the sent ones' bodies are blanked the same way."""
    customer_id = message.payload.get("customer_id")
    if not customer_id:
        return
    with unit_of_work() as session:
        D = WebhookDeliveryEntity
        rows = session.scalars(select(D).where(D.customer_id == customer_id))
        for row in rows:
            body = json.loads(row.body)
            if isinstance(body.get("data"), dict) and "customer" in body["data"]:
                body["data"].pop("customer")
                row.body = json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def subscribe_all() -> None:
    for contract_type, public in EVENT_TYPES.items():
        subscribe(contract_type, name=f"webhooks.{public.name}")(_handler(contract_type))
    subscribe("CustomerAnonymised", name="webhooks.forget_anonymised")(_forget)
    subscribe("CustomerDeleted", name="webhooks.forget_deleted")(_forget)
