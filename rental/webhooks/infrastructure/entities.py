"""`webhook_endpoints` (where events go, with the signing secret) and `webhook_deliveries`
(one event for one endpoint: the exact body sent, its status and attempts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER
_PENDING = text("status = 'PENDING'")


class WebhookEndpointEntity(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(120), default="")
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    customers_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # The first failed attempt since the last success (None: not failing).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker sending to this endpoint holds it until then (one worker per endpoint).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(36))


class WebhookDeliveryEntity(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)  # event order
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id
    endpoint_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(80))
    # One per endpoint and key (e.g. order.confirmed once per order); None: no such rule.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    outbox_message_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__: Any = (
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        Index(
            "ix_webhook_deliveries_pending",
            "endpoint_id",
            "id",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        Index("ix_webhook_deliveries_dedupe", "endpoint_id", "dedupe_key", unique=True),
    )
