"""`flask crm rebuild` and the tier-expiry job, on SQLite and PostgreSQL: state built the
incremental way (Booking and Payments through the real outbox drain, and contract events
through the same drain), every projection row snapshotted, rebuilt, compared."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
)
from rental.contracts.payments import EntryReversed, PaymentReceived, RefundIssued
from rental.crm import CRMFacade, Tier, UpdateCommunicationPreferences
from rental.crm.application.rebuild import Rebuild
from rental.crm.facade import projections
from rental.crm.infrastructure.entities import (
    CLVEntity,
    ConsentLogEntity,
    LoyaltyEntity,
    PreferencesEntity,
    RentalHistoryEntity,
)
from rental.crm.infrastructure.repositories import CRMRepository
from rental.extensions import db
from rental.payments import (
    Account,
    IssueRefund,
    Method,
    PaymentsFacade,
    RecordPayment,
    ReverseEntry,
)
from rental.shared import outbox
from rental.shared.db import unit_of_work
from tests.integration.crm.test_projections import (
    PERIOD,
    drain,
    emit,
    ledger_event,
    line_event,
)
from tests.support.fleet import make_customer, make_type
from tests.support.locks import wait_until_blocked

PROJECTIONS = (RentalHistoryEntity, LoyaltyEntity, CLVEntity)


def rows(*entities) -> dict[str, list[tuple]]:
    """Every row of each table, every column, in primary-key order."""
    out = {}
    for entity in entities:
        columns = list(entity.__table__.columns)
        out[entity.__tablename__] = [
            tuple(row)
            for row in db.session.execute(
                select(*columns).order_by(*entity.__table__.primary_key.columns)
            )
        ]
    db.session.rollback()
    return out


def build_state() -> tuple[str, str]:
    """Two customers' history, loyalty and lifetime value, the incremental way."""
    fleet = make_type(hourly="20.00", deposit=None, name="Light tower")
    other = make_type(hourly="25.00", deposit=None, name="Floodlight")
    customer, regular = make_customer(), make_customer()
    booking, payments = BookingFacade(), PaymentsFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            PERIOD,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    drain()
    booking.change_type(rid, other.type_id)  # changed: another type (and name)
    drain()
    reservation = booking.get_reservation(rid)
    order_id = reservation.order_id or reservation.id
    db.session.rollback()
    paid = payments.record_payment(
        RecordPayment(order_id, Decimal("80"), Method.CASH, Account.RENTAL, "staff@example.com")
    )
    refund = payments.issue_refund(
        IssueRefund(order_id, Decimal("15"), Method.CASH, Account.RENTAL, "staff", reason="x")
    )
    drain()
    payments.reverse_entry(ReverseEntry(order_id, refund, "typo", "staff", frozenset({"reverse"})))
    drain()
    payments.record_payment(
        RecordPayment(order_id, Decimal("20"), Method.CASH, Account.RENTAL, "staff@example.com")
    )
    payments.reverse_entry(ReverseEntry(order_id, paid, "typo", "staff", frozenset({"reverse"})))
    drain()

    # Completions, a cancellation after completion, an older event arriving late.
    for n, total in enumerate(("1234.56", "3000.00", "99.99")):
        line = f"line-{regular[:8]}-{n}"
        emit(
            line_event(ReservationConfirmed, regular, sequence=1, total=total, reservation_id=line),
            line_event(ReservationChanged, regular, sequence=2, total=total, reservation_id=line),
        )
        emit(
            line_event(ReservationCompleted, regular, sequence=3, total=total, reservation_id=line)
        )
    emit(
        line_event(
            ReservationCancelled, regular, sequence=4, reservation_id=f"line-{regular[:8]}-1"
        )
    )
    emit(
        line_event(
            ReservationCancelled, regular, sequence=2, reservation_id=f"line-{regular[:8]}-0"
        )
    )
    emit(
        ledger_event(PaymentReceived, regular, "500", f"p-{regular}"),
        ledger_event(RefundIssued, regular, "50", f"r-{regular}"),
        ledger_event(EntryReversed, regular, "50", f"x-{regular}", reversed_entry_id="r",
                     reversed_kind="REFUND"),
    )  # fmt: skip
    return customer, regular


def test_rebuild_gives_exactly_the_rows_incremental_processing_gave(app):
    customer, regular = build_state()
    crm = CRMFacade()
    crm.update_communication_preferences(
        UpdateCommunicationPreferences(regular, True, False, True, "customer")
    )
    before = rows(*PROJECTIONS)
    kept = rows(PreferencesEntity, ConsentLogEntity)
    assert len(before["crm_rental_history"]) == 4
    assert {r[0] for r in before["crm_clv"]} >= {customer, regular}
    status = crm.get_customer_loyalty_status(regular)
    assert (status.tier, status.points) == (Tier.SILVER, 132)  # 123 + 9; 300 taken back
    db.session.rollback()

    result = crm.rebuild_projections()
    assert rows(*PROJECTIONS) == before
    assert rows(PreferencesEntity, ConsentLogEntity) == kept  # a command's, not events'
    assert result.skipped == 0 and result.replayed > 10
    assert (result.history, result.loyalty) == (4, 1)

    crm.rebuild_projections()  # twice: the same
    assert rows(*PROJECTIONS) == before

    # Rows lost or damaged: the rebuild brings them back.
    db.session.execute(text("DELETE FROM crm_clv"))
    db.session.execute(text("UPDATE crm_loyalty SET points = 7"))
    db.session.commit()
    crm.rebuild_projections()
    assert rows(*PROJECTIONS) == before

    # After the rebuild the worker goes on as before (no message applied twice).
    drain()
    assert rows(*PROJECTIONS) == before


def test_the_cli_rebuilds(app):
    build_state()
    before = rows(*PROJECTIONS)
    db.session.execute(text("DELETE FROM crm_loyalty"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["crm", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Replayed" in result.output
    assert rows(*PROJECTIONS) == before


# --- the tier-expiry job -------------------------------------------------------------------


def loyalty_row(customer_id: str) -> tuple:
    row = db.session.get(LoyaltyEntity, customer_id)
    out = (row.tier, row.points, row.tier_expires_at)
    db.session.rollback()
    return out


def set_expiry(customer_id: str, tier: str, expires: datetime | None) -> None:
    row = db.session.get(LoyaltyEntity, customer_id)
    row.tier, row.tier_expires_at = tier, expires
    db.session.commit()


def test_expired_tiers_drop_one_level_and_a_second_run_changes_nothing(app):
    now = datetime.now(UTC)
    gold, silver, fresh, bronze, late = (make_customer() for _ in range(5))
    for n, customer in enumerate((gold, silver, fresh, bronze, late)):
        emit(
            line_event(ReservationCompleted, customer, sequence=3, total="6000",
                       reservation_id=f"l-{customer[:8]}-{n}")
        )  # fmt: skip
    past = (now - timedelta(days=1)).replace(microsecond=0)
    set_expiry(gold, "GOLD", past)
    set_expiry(silver, "SILVER", past)
    set_expiry(fresh, "GOLD", now + timedelta(days=30))
    set_expiry(bronze, "BRONZE", past)  # an old row: Bronze never expires, only cleared
    set_expiry(late, "GOLD", past - timedelta(days=400))  # the job did not run for 13 months

    crm = CRMFacade()
    assert crm.expire_tiers() == 4
    a_year = past.replace(year=past.year + 1)
    assert loyalty_row(gold) == ("SILVER", 600, a_year)  # one level, 12 more months
    assert loyalty_row(silver) == ("BRONZE", 600, None)
    assert loyalty_row(fresh)[0] == "GOLD"
    assert loyalty_row(bronze) == ("BRONZE", 600, None)
    assert loyalty_row(late) == ("BRONZE", 600, None)  # caught up: Gold → Silver → Bronze
    snapshot = rows(LoyaltyEntity)

    assert crm.expire_tiers() == 0
    assert rows(LoyaltyEntity) == snapshot
    result = app.test_cli_runner().invoke(args=["crm", "expire-tiers"])
    assert result.exit_code == 0 and "Expired 0" in result.output
    assert rows(LoyaltyEntity) == snapshot


def test_the_expiry_job_is_registered_with_the_worker(app):
    from rental.shared.jobs import periodic_jobs

    jobs = {job.name: job for job in periodic_jobs()}
    assert jobs["crm.expire_tiers"].seconds <= 86400
    jobs["crm.expire_tiers"].func()  # runs in the app, changes nothing here


def test_a_handler_during_the_rebuild_waits_and_applies_to_the_rebuilt_rows(app, backend):
    """PostgreSQL: the rebuild locks CRM's tables; a worker's CRM handler arriving meanwhile
    waits for the rebuild's commit and then adds its event to the rebuilt rows (asked of the
    server that it waits, not guessed)."""
    if backend != "postgresql":
        pytest.skip("SQLite: the rebuild's BEGIN IMMEDIATE keeps every writer out anyway")
    _, regular = build_state()
    points = CRMFacade().get_customer_loyalty_status(regular).points
    db.session.rollback()
    with unit_of_work():
        outbox.record(
            line_event(ReservationCompleted, regular, sequence=3, total="2000", reservation_id="z")
        )
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                drain()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker, daemon=True)
    with unit_of_work() as session:
        Rebuild(CRMRepository(session), projections=projections, equipment_name=str).run()
        reader = db.engine.connect()  # reads go on during the rebuild
        assert reader.execute(text("SELECT count(*) FROM crm_loyalty")).scalar() >= 1
        reader.close()
        thread.start()
        waiting = wait_until_blocked(db.engine, query_like="crm_", thread=thread)
        assert waiting and thread.is_alive(), "the handler must wait for the rebuild"
    thread.join(20)
    assert not thread.is_alive() and not errors
    assert CRMFacade().get_customer_loyalty_status(regular).points == points + 200
    db.session.rollback()
    after = rows(*PROJECTIONS)
    CRMFacade().rebuild_projections()
    assert rows(*PROJECTIONS) == after
