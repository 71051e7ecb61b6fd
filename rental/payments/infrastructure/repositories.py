"""LedgerRepository: load a ledger with its entries (optionally locking its row FOR UPDATE, so
two staff recording at once serialise), open one, append entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rental.payments.domain.ledger import Account, Category, Entry, EntryKind, Ledger, Method
from rental.payments.infrastructure.entities import EntryEntity, LedgerEntity
from rental.shared.money import Money


def _entry(row: EntryEntity) -> Entry:
    return Entry(
        id=row.id,
        kind=EntryKind(row.kind),
        account=Account(row.account),
        category=Category(row.category),
        amount=Money(row.amount, row.currency),
        actor=row.actor,
        at=row.recorded_at,
        method=Method(row.method) if row.method else None,
        reference=row.reference,
        reason=row.reason,
        reverses=row.reverses,
        line_id=row.line_id,
        line_sequence=row.line_sequence,
    )


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str, *, for_update: bool = False) -> Ledger | None:
        query = select(LedgerEntity).where(LedgerEntity.order_id == order_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        row = self.session.scalars(query).one_or_none()
        if row is None:
            return None
        entries = self.session.scalars(
            select(EntryEntity)
            .where(EntryEntity.order_id == order_id)
            .order_by(EntryEntity.position)
        ).all()
        return Ledger(
            order_id=row.order_id,
            currency=row.currency,
            order_reference=row.order_reference,
            customer_id=row.customer_id,
            entries=[_entry(e) for e in entries],
            version=row.version,
        )

    def open(self, ledger: Ledger, at: datetime) -> None:
        self.session.add(
            LedgerEntity(
                order_id=ledger.order_id,
                order_reference=ledger.order_reference,
                customer_id=ledger.customer_id,
                currency=ledger.currency,
                version=0,
                opened_at=at,
            )
        )
        self.session.flush()

    def append(self, ledger: Ledger, entries: list[Entry]) -> None:
        """Store entries the ledger gained (its last ones) and bump its version."""
        start = len(ledger.entries) - len(entries)
        for offset, e in enumerate(entries):
            self.session.add(
                EntryEntity(
                    id=e.id,
                    order_id=ledger.order_id,
                    position=start + offset,
                    kind=e.kind.value,
                    account=e.account.value,
                    category=e.category.value,
                    amount=e.amount.amount,
                    currency=e.amount.currency,
                    method=e.method.value if e.method else None,
                    reference=e.reference,
                    reason=e.reason,
                    actor=e.actor,
                    recorded_at=e.at,
                    reverses=e.reverses,
                    line_id=e.line_id,
                    line_sequence=e.line_sequence,
                )
            )
        row = self.session.get(LedgerEntity, ledger.order_id)
        assert row is not None
        row.version += 1
        ledger.version = row.version
        self.session.flush()
