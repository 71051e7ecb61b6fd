"""`outbox.redact_payloads` on SQLite and PostgreSQL: a publisher blanks the free text of its
stored messages about one customer — pending and processed alike, read in batches — and
nothing else: other customers' messages, other event types, empty fields and every other
field stay; the redacted messages still decode and are delivered; a second call changes
nothing; outside a unit of work it is refused."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from rental.contracts.payments import PaymentReceived, RefundIssued
from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.money import Money
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import utcnow

GONE = "[removed]"


def refund(customer_id: str, reason: str, reference: str = "IBAN DE00 Quirinus") -> RefundIssued:
    return RefundIssued(
        order_id=str(uuid.uuid4()),
        order_reference="RK-ABC234",
        customer_id=customer_id,
        entry_id=str(uuid.uuid4()),
        account="rental",
        category="rental",
        amount=Money(Decimal("10.00"), "EUR"),
        balance=Money(Decimal("0.00"), "EUR"),
        actor="desk@example.com",
        method="bank_transfer",
        reference=reference,
        reason=reason,
    )


def payloads() -> list[tuple[str, dict]]:
    m = OutboxMessageEntity
    rows = db.session.execute(select(m.event_type, m.payload).order_by(m.id)).all()
    db.session.rollback()
    return [(t, p) for t, p in rows]


def test_only_the_customers_free_text_is_rewritten_in_batches(app):
    zelda, otto = str(uuid.uuid4()), str(uuid.uuid4())
    events = [refund(zelda, f"Zelda Quirinus refund {n}") for n in range(5)]
    events.append(refund(zelda, "Zelda Quirinus no reference", reference=""))
    events.append(refund(otto, "Otto called"))
    fields = {k: v for k, v in events[0].__dict__.items() if k != "reason"}
    events.append(PaymentReceived(**{**fields, "reference": "Zelda Quirinus"}))
    with unit_of_work():
        for event in events:
            outbox.record(event)
    first_two = select(OutboxMessageEntity.id).order_by(OutboxMessageEntity.id).limit(2)
    with unit_of_work() as session:  # two of them were delivered long ago
        ids = list(session.scalars(first_two))
        session.execute(
            update(OutboxMessageEntity)
            .where(OutboxMessageEntity.id.in_(ids))
            .values(processed_at=utcnow())
        )
    before = payloads()

    with unit_of_work():
        changed = outbox.redact_payloads(
            "RefundIssued",
            {"customer_id": {zelda}},
            {"reason": GONE, "reference": GONE},
            batch_size=2,
        )
    assert changed == 6
    after = payloads()
    for (kind, old), (_, new) in zip(before, after, strict=True):
        if kind == "RefundIssued" and old["customer_id"] == zelda:
            assert new["reason"] == GONE
            assert new["reference"] == (GONE if old["reference"] else "")
            assert {k: v for k, v in new.items() if k not in ("reason", "reference")} == {
                k: v for k, v in old.items() if k not in ("reason", "reference")
            }
        else:
            assert new == old  # Otto's refund, the payment (another event type)

    with unit_of_work():  # again: nothing left to change
        assert (
            outbox.redact_payloads("RefundIssued", {"customer_id": {zelda}}, {"reason": GONE}) == 0
        )
        assert outbox.redact_payloads("RefundIssued", {"customer_id": set()}, {"reason": GONE}) == 0

    processor = OutboxProcessor()  # the redacted pending messages still decode and go out
    while processor.drain_once().claimed:
        pass
    m = OutboxMessageEntity
    states = db.session.execute(select(m.processed_at, m.dead_at)).all()
    db.session.rollback()
    assert all(processed is not None and dead is None for processed, dead in states)


def test_redacting_outside_a_unit_of_work_is_refused(app):
    with pytest.raises(RuntimeError, match="inside unit_of_work"):
        outbox.redact_payloads("RefundIssued", {"customer_id": {"x"}}, {"reason": GONE})
