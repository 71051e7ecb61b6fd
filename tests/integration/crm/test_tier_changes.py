"""CRM publishes `LoyaltyTierChanged` (rental.contracts.crm) on SQLite and PostgreSQL, in the
transaction that changes the tier, only for a real change: up when a completed rental earns
it, down when a cancellation takes the points back or the expiry job drops it — and never on
redelivery, on a completion that leaves the tier as it was, or on `crm rebuild`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from rental.contracts.booking import ReservationCancelled, ReservationCompleted
from rental.crm import CRMFacade
from rental.extensions import db
from rental.shared.events import from_payload
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import utcnow
from tests.integration.crm.test_projections import emit, line_event
from tests.integration.crm.test_rebuild import set_expiry
from tests.support.fleet import make_customer


def changes() -> list[tuple[str, str, str, int, str]]:
    """(customer, old, new, points, reason) of every LoyaltyTierChanged, oldest first."""
    payloads = db.session.scalars(
        select(OutboxMessageEntity.payload)
        .where(OutboxMessageEntity.event_type == "LoyaltyTierChanged")
        .order_by(OutboxMessageEntity.id)
    ).all()
    db.session.rollback()
    events = [from_payload("LoyaltyTierChanged", p) for p in payloads]
    return [(e.customer_id, e.old_tier, e.new_tier, e.points, e.reason) for e in events]


def completed(customer: str, line: str, total: str) -> None:
    emit(line_event(ReservationCompleted, customer, sequence=3, total=total, reservation_id=line))


def test_a_real_change_is_published_once_and_nothing_else_is(app):
    c = make_customer()
    completed(c, f"l-{c[:8]}-1", "500.00")  # 50 points: still Bronze
    assert changes() == []
    completed(c, f"l-{c[:8]}-2", "510.00")  # 101 points: Silver
    assert changes() == [(c, "BRONZE", "SILVER", 101, "rental_completed")]
    completed(c, f"l-{c[:8]}-3", "100.00")  # 111 points: Silver as it was
    assert len(changes()) == 1
    emit(line_event(ReservationCancelled, c, sequence=4, reservation_id=f"l-{c[:8]}-2"))
    assert changes()[1:] == [(c, "SILVER", "BRONZE", 60, "rental_cancelled")]

    # Redelivered (CRM's inbox lost too) and rebuilt: the same tiers, nothing published.
    crm_inbox = text("SELECT count(*) FROM outbox_inbox WHERE handler LIKE 'crm.%'")
    applied = db.session.scalar(crm_inbox)
    db.session.execute(text("DELETE FROM outbox_inbox WHERE handler LIKE 'crm.%'"))
    db.session.execute(
        OutboxMessageEntity.__table__.update().values(
            processed_at=None, available_at=utcnow() - timedelta(minutes=1)
        )
    )
    db.session.commit()
    completed(c, f"l-{c[:8]}-4", "1.00")  # drains the redelivered messages too
    assert db.session.scalar(crm_inbox) == applied + 1, "CRM applied every message again"
    db.session.rollback()
    assert len(changes()) == 2
    CRMFacade().rebuild_projections()
    assert CRMFacade().get_customer_loyalty_status(c).tier.name == "BRONZE"
    db.session.rollback()
    assert len(changes()) == 2


def test_the_expiry_job_publishes_each_drop(app):
    now = datetime.now(UTC)
    gold, fresh = make_customer(), make_customer()
    for customer in (gold, fresh):
        completed(customer, f"l-{customer[:8]}", "6000")  # 600 points: Gold
    set_expiry(gold, "GOLD", now - timedelta(days=1))
    set_expiry(fresh, "GOLD", now + timedelta(days=30))
    before = changes()
    assert CRMFacade().expire_tiers() == 1
    assert changes()[len(before) :] == [(gold, "GOLD", "SILVER", 600, "expired")]
    assert CRMFacade().expire_tiers() == 0
    assert len(changes()) == len(before) + 1
