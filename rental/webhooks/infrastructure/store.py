"""The rows of webhook_endpoints and webhook_deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from rental.shared.db import db, is_postgres
from rental.webhooks.domain.endpoints import (
    AUTO_DISABLED,
    PENDING,
    Delivery,
    Endpoint,
    EndpointForm,
)
from rental.webhooks.infrastructure.entities import WebhookDeliveryEntity, WebhookEndpointEntity

E, D = WebhookEndpointEntity, WebhookDeliveryEntity


def _endpoint(row: E) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=tuple(row.event_types or ()),
        customers_scope=row.customers_scope,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        failing_since=row.failing_since,
    )


def _delivery(row: D) -> Delivery:
    return Delivery(
        id=row.id,
        message_id=row.message_id,
        endpoint_id=row.endpoint_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        first_attempt_at=row.first_attempt_at,
        last_attempt_at=row.last_attempt_at,
        response_code=row.response_code,
        duration_ms=row.duration_ms,
        error=row.error,
    )


def add_endpoint(
    session: Session, form: EndpointForm, secret: str, now: datetime, actor: str
) -> str:
    row = E(
        id=str(uuid.uuid4()),
        url=form.url,
        description=form.description,
        secret=secret,
        event_types=list(form.event_types),
        customers_scope=form.customers_scope,
        active=form.active,
        created_at=now,
        created_by=actor[:320],
        updated_at=now,
    )
    session.add(row)
    return row.id


def endpoint_row(session: Session, endpoint_id: str, lock: bool = False) -> E | None:
    return session.get(E, endpoint_id[:36], with_for_update=lock)


def get_endpoint(endpoint_id: str) -> Endpoint | None:
    row = db.session.get(E, endpoint_id[:36])
    return _endpoint(row) if row else None


def all_endpoints() -> list[Endpoint]:
    return [_endpoint(r) for r in db.session.scalars(select(E).order_by(E.created_at))]


def count_disabled_automatically() -> int:
    query = select(func.count()).where(
        E.active.is_(False), E.disabled_reason.startswith(AUTO_DISABLED, autoescape=True)
    )
    return db.session.scalar(query) or 0


def active_endpoints(session: Session) -> list[Endpoint]:
    return [_endpoint(r) for r in session.scalars(select(E).where(E.active.is_(True)))]


def delete_endpoint(session: Session, endpoint_id: str) -> bool:
    session.execute(delete(D).where(D.endpoint_id == endpoint_id))
    return bool(session.execute(delete(E).where(E.id == endpoint_id)).rowcount)


def add_delivery(
    session: Session,
    endpoint_id: str,
    event_type: str,
    body: str,
    now: datetime,
    *,
    dedupe_key: str | None = None,
    outbox_message_id: int | None = None,
    customer_id: str | None = None,
) -> None:
    session.add(
        D(
            message_id=f"msg_{uuid.uuid4().hex}",
            endpoint_id=endpoint_id,
            event_type=event_type,
            dedupe_key=dedupe_key,
            outbox_message_id=outbox_message_id,
            customer_id=customer_id,
            body=body,
            status=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


def has_dedupe(session: Session, endpoint_id: str, key: str) -> bool:
    found = session.scalar(select(D.id).where(D.endpoint_id == endpoint_id, D.dedupe_key == key))
    return found is not None


def delivery_row(session: Session, delivery_id: int, lock: bool = False) -> D | None:
    return session.get(D, delivery_id, with_for_update=lock)


def recent_deliveries(endpoint_id: str, limit: int = 50) -> list[Delivery]:
    rows = db.session.scalars(
        select(D).where(D.endpoint_id == endpoint_id).order_by(D.id.desc()).limit(limit)
    )
    return [_delivery(r) for r in rows]


def get_delivery(delivery_id: int) -> Delivery | None:
    row = db.session.get(D, delivery_id)
    return _delivery(row) if row else None


def pending_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(D.endpoint_id, func.count()).where(D.status == PENDING).group_by(D.endpoint_id)
    )
    return {endpoint_id: count for endpoint_id, count in rows}


# --- the dispatcher's claims -------------------------------------------------------------------


def due_endpoints(session: Session, now: datetime) -> list[str]:
    """Active endpoints, not held by a worker, whose oldest pending delivery is due."""
    head = (
        select(D.endpoint_id, func.min(D.id).label("head"))
        .where(D.status == PENDING)
        .group_by(D.endpoint_id)
        .subquery()
    )
    query = (
        select(E.id)
        .join(head, head.c.endpoint_id == E.id)
        .join(D, D.id == head.c.head)
        .where(
            E.active.is_(True),
            or_(E.lease_until.is_(None), E.lease_until <= now),
            D.next_attempt_at <= now,
        )
        .order_by(D.next_attempt_at)
    )
    return list(session.scalars(query))


def claim_endpoint(
    session: Session, endpoint_id: str, now: datetime, until: datetime
) -> str | None:
    """Hold the endpoint for this worker until `until`; its lease token, or None when another
    worker holds it (PostgreSQL: its row is locked — skipped, not waited for — or its lease
    runs). SQLite: the unit of work's BEGIN IMMEDIATE makes claims one at a time."""
    query = select(E).where(
        E.id == endpoint_id,
        E.active.is_(True),
        or_(E.lease_until.is_(None), E.lease_until <= now),
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    row = session.scalars(query).first()
    if row is None:
        return None
    token = str(uuid.uuid4())
    row.lease_until, row.lease_token = until, token
    return token


def holds(session: Session, endpoint_id: str, token: str, lock: bool = True) -> E | None:
    query = select(E).where(E.id == endpoint_id, E.lease_token == token)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def release(session: Session, endpoint_id: str, token: str) -> None:
    session.execute(
        update(E)
        .where(E.id == endpoint_id, E.lease_token == token)
        .values(lease_until=None, lease_token=None)
    )


def head_delivery(session: Session, endpoint_id: str) -> D | None:
    """The endpoint's oldest pending delivery: nothing later goes before it."""
    return session.scalars(
        select(D).where(D.endpoint_id == endpoint_id, D.status == PENDING).order_by(D.id).limit(1)
    ).first()
