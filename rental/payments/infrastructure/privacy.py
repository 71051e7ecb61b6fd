"""The SQL behind Payments' part of anonymising and deleting a customer: finding the
customer's ledgers and blanking the free text people typed on them. The invoices and credit
notes (payments_documents) are never touched here — see application/privacy.py."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rental.payments.infrastructure.entities import EntryEntity, LedgerEntity
from rental.payments.infrastructure.invoices import DocumentEntity
from rental.payments.infrastructure.late_fees import LateFeeEntity

_NO_SYNC = {"synchronize_session": False}


class PrivacyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def order_ids_of(self, customer_id: str) -> list[str]:
        """The orders whose ledger is the customer's."""
        return list(
            self.session.scalars(
                select(LedgerEntity.order_id)
                .where(LedgerEntity.customer_id == customer_id)
                .order_by(LedgerEntity.order_id)
                .with_for_update()  # the ledger lock every command takes first
            )
        )

    def blank_entry_text(self, order_ids: Collection[str], text: str, except_actor: str) -> int:
        """The reason and the reference of every entry of these ledgers recorded by someone
        other than `except_actor` (what staff typed: a refund's reason, a payment's
        reference, a damage note) become `text`; empty ones stay empty."""
        changed = 0
        e = EntryEntity
        for column in (e.reason, e.reference):
            result = self.session.execute(
                update(e)
                .where(
                    e.order_id.in_(order_ids),
                    e.actor != except_actor,
                    column != "",
                    column != text,
                )
                .values({column: text}),
                execution_options=_NO_SYNC,
            )
            changed += result.rowcount or 0
        return changed

    def blank_late_fee_reasons(self, order_ids: Collection[str], text: str) -> int:
        """A waived late fee's reason (typed by staff) becomes `text`."""
        f = LateFeeEntity
        result = self.session.execute(
            update(f)
            .where(f.order_id.in_(order_ids), f.reason != "", f.reason != text)
            .values(reason=text),
            execution_options=_NO_SYNC,
        )
        return result.rowcount or 0

    def counts_of(self, customer_id: str) -> tuple[int, int, int]:
        """(ledger entries, invoices and credit notes) of the customer's orders, and how many
        ledgers: what the shop must keep before a customer may be deleted."""
        ledgers = self.session.scalar(
            select(func.count()).where(LedgerEntity.customer_id == customer_id)
        )
        entries = self.session.scalar(
            select(func.count())
            .select_from(EntryEntity)
            .join(LedgerEntity, LedgerEntity.order_id == EntryEntity.order_id)
            .where(LedgerEntity.customer_id == customer_id)
        )
        documents = self.session.scalar(
            select(func.count()).where(DocumentEntity.customer_id == customer_id)
        )
        return entries or 0, documents or 0, ledgers or 0
