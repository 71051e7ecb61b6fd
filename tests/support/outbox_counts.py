"""What the outbox and the probe handlers (tests/support/probe.py) have done so far, read in a
transaction of its own so a later read sees what workers committed meanwhile."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from rental.extensions import db
from rental.shared.outbox import OutboxMessageEntity
from tests.support.probe import probe_deliveries


def processed_count() -> int:
    count = db.session.scalar(
        select(func.count()).where(OutboxMessageEntity.processed_at.is_not(None))
    )
    db.session.rollback()
    return count


def delivery_counts() -> Counter:
    """(message number, handler) → how many times the probe handler applied it."""
    rows = db.session.execute(select(probe_deliveries.c.n, probe_deliveries.c.handler)).all()
    db.session.rollback()
    return Counter((n, h) for n, h in rows)
