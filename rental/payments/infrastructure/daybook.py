"""The day book: the payments and refunds recorded in a window of time, across every order's
ledger (the day-end cash-up). Read only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rental.payments.domain.ledger import Entry, EntryKind
from rental.payments.infrastructure.entities import EntryEntity, LedgerEntity
from rental.payments.infrastructure.repositories import _entry

MONEY_MOVES = (EntryKind.PAYMENT.value, EntryKind.REFUND.value)
STREAM_BATCH = 500  # rows per round trip of the CSV export


class DayBook:
    def __init__(self, session: Session) -> None:
        self.session = session

    def moves_between(self, start: datetime, end: datetime) -> list[tuple[Entry, str, str]]:
        """Payments and refunds (and their reversals) recorded from `start` (included) to
        `end` (excluded), oldest first: (entry, order ID, order reference)."""
        rows = self.session.execute(_moves(start, end)).all()
        return [(_entry(row), row.order_id, reference) for row, reference in rows]

    def stream_moves(
        self, start: datetime, end: datetime
    ) -> Iterator[list[tuple[Entry, str, str]]]:
        """What `moves_between` finds, a batch of STREAM_BATCH at a time (the CSV export)."""
        rows = iter(
            self.session.execute(_moves(start, end).execution_options(yield_per=STREAM_BATCH))
        )
        while batch := list(islice(rows, STREAM_BATCH)):
            yield [(_entry(row), row.order_id, reference) for row, reference in batch]

    def reversals_of(self, entry_ids: Iterable[str]) -> dict[str, datetime]:
        """Of these entries, those reversed (whenever): entry ID -> when it was reversed."""
        ids = list(entry_ids)
        found: dict[str, datetime] = {}
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            rows = self.session.execute(
                select(EntryEntity.reverses, EntryEntity.recorded_at).where(
                    EntryEntity.reverses.in_(chunk)
                )
            ).all()
            found.update({str(target): at for target, at in rows})
        return found


def _moves(start: datetime, end: datetime) -> Select[tuple[EntryEntity, str]]:
    return (
        select(EntryEntity, LedgerEntity.order_reference)
        .join(LedgerEntity, LedgerEntity.order_id == EntryEntity.order_id)
        .where(
            EntryEntity.kind.in_(MONEY_MOVES),
            EntryEntity.recorded_at >= start,
            EntryEntity.recorded_at < end,
        )
        .order_by(EntryEntity.recorded_at, EntryEntity.order_id, EntryEntity.position)
    )
