"""Endpoint commands (create, edit, rotate the secret, enable/disable, delete), the test
event and "redeliver" — each one unit_of_work."""

from __future__ import annotations

import json
from datetime import datetime

from rental.shared.db import unit_of_work
from rental.shared.errors import NotFoundError, ValidationError
from rental.webhooks.application import runtime
from rental.webhooks.domain.addresses import AddressRefused, vet
from rental.webhooks.domain.endpoints import (
    PENDING,
    Delivery,
    Endpoint,
    EndpointForm,
    looks_like_id,
)
from rental.webhooks.domain.events import TEST, envelope
from rental.webhooks.domain.signing import new_secret
from rental.webhooks.infrastructure import store

_MISSING = "There is no such webhook endpoint."


def check_url(url: str) -> None:
    """ValidationError on the `url` field when the SSRF guard refuses the address."""
    try:
        vet(url, runtime.resolver(), runtime.allow_private())
    except AddressRefused as exc:
        raise ValidationError(str(exc), field="url") from None


def create(form: EndpointForm, now: datetime, actor: str) -> tuple[str, str]:
    """(endpoint ID, its secret) — the secret is shown this once on the page."""
    check_url(form.url)
    secret = new_secret()
    with unit_of_work() as session:
        endpoint_id = store.add_endpoint(session, form, secret, now, actor)
    return endpoint_id, secret


def _row(session, endpoint_id: str, lock: bool = True):
    row = (
        store.endpoint_row(session, endpoint_id, lock=lock) if looks_like_id(endpoint_id) else None
    )
    if row is None:
        raise NotFoundError(_MISSING)
    return row


def update(endpoint_id: str, form: EndpointForm, now: datetime) -> None:
    check_url(form.url)
    with unit_of_work() as session:
        row = _row(session, endpoint_id)
        row.url, row.description = form.url, form.description
        row.event_types = list(form.event_types)
        row.customers_scope = form.customers_scope
        _set_active(row, form.active, now)
        row.updated_at = now


def _set_active(row, active: bool, now: datetime) -> None:
    if active and not row.active:
        # Enabled again: its waiting deliveries go out now, and the 24 hours start afresh.
        row.disabled_at = row.disabled_reason = row.failing_since = None
    elif not active and row.active:
        row.disabled_at, row.disabled_reason = now, "Disabled by an administrator."
    row.active = active


def set_active(endpoint_id: str, active: bool, now: datetime) -> None:
    with unit_of_work() as session:
        row = _row(session, endpoint_id)
        _set_active(row, active, now)
        row.updated_at = now


def rotate_secret(endpoint_id: str, now: datetime) -> str:
    """The new secret (shown once); deliveries not yet sent are signed with it."""
    secret = new_secret()
    with unit_of_work() as session:
        row = _row(session, endpoint_id)
        row.secret, row.updated_at = secret, now
    return secret


def delete(endpoint_id: str) -> None:
    with unit_of_work() as session:
        _row(session, endpoint_id)
        store.delete_endpoint(session, endpoint_id)


def send_test(endpoint_id: str, now: datetime) -> None:
    """A `webhook.test` delivery, queued behind the endpoint's other deliveries."""
    with unit_of_work() as session:
        row = _row(session, endpoint_id)
        data = {"endpoint_id": row.id, "message": "A test event from RentKit."}
        store.add_delivery(session, row.id, TEST, envelope(TEST, now, data), now)


def redeliver(endpoint_id: str, delivery_id: str, now: datetime) -> None:
    """A new pending delivery with the same body (a new webhook-id, at the end of the queue)."""
    with unit_of_work() as session:
        _row(session, endpoint_id)
        row = store.delivery_row(session, int(delivery_id)) if delivery_id.isdigit() else None
        if row is None or row.endpoint_id != endpoint_id:
            raise NotFoundError("There is no such delivery.")
        if row.status == PENDING:
            raise ValidationError("This delivery is still being tried; wait for it to finish.")
        store.add_delivery(
            session, row.endpoint_id, row.event_type, row.body, now, customer_id=row.customer_id
        )


def get(endpoint_id: str) -> Endpoint:
    found = store.get_endpoint(endpoint_id) if looks_like_id(endpoint_id) else None
    if found is None:
        raise NotFoundError(_MISSING)
    return found


def deliveries(endpoint_id: str, limit: int = 50) -> list[Delivery]:
    return store.recent_deliveries(endpoint_id, limit)


def delivery_body(delivery_id: int) -> dict:
    from rental.shared.db import db

    row = store.delivery_row(db.session(), delivery_id)
    if row is None:
        raise NotFoundError("There is no such delivery.")
    return json.loads(row.body)
