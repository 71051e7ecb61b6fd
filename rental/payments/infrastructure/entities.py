"""SQLAlchemy mapping of the ledgers: one row per order (locked FOR UPDATE by every command)
and its append-only entries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.reference_cache import reference_tables


class LedgerEntity(Base):
    __tablename__ = "payments_ledgers"

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_reference: Mapped[str] = mapped_column(String(40), default="")
    customer_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # Bumped by every entry: what the ledger looked like when a command read it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EntryEntity(Base):
    __tablename__ = "payments_entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("payments_ledgers.order_id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An entry is reversed at most once: the unique constraint settles it in the database too.
    reverses: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("payments_entries.id"), unique=True
    )
    line_id: Mapped[str | None] = mapped_column(String(36), index=True)
    line_sequence: Mapped[int | None] = mapped_column(Integer)


# The shop has one payment policy: this is its row's primary key.
POLICY_ID = 1


class PolicyEntity(Base):
    __tablename__ = "payments_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rental_due: Mapped[str] = mapped_column(String(20))
    invoice_days: Mapped[int] = mapped_column(Integer)
    deposit: Mapped[str] = mapped_column(String(20))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    prices_include_vat: Mapped[bool] = mapped_column(Boolean)
    vat_id: Mapped[str] = mapped_column(String(40), default="")
    invoice_on_confirm: Mapped[bool] = mapped_column(Boolean)
    cancellation_free_hours: Mapped[int] = mapped_column(Integer)
    cancellation_fee: Mapped[str] = mapped_column(String(10))
    cancellation_fee_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    overdue_grace_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Read across requests from the web processes' cache: writes renew its token.
reference_tables(PolicyEntity)
