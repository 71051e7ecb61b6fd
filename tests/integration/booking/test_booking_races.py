"""Races between a reservation's transitions and the capacity decisions of its type, forced
open deterministically on PostgreSQL: a second session holds a lock so that one side waits at
exactly the moment the bug needed (issue: correctness under races and faults, items 1 and 2).

SQLite takes its single write lock at the start of every unit of work, so there the windows
cannot open at all; the outcome rules are checked on both databases."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from rental.booking import BookingFacade, CreateReservation, PricingBasis, ReservationStatus
from rental.extensions import db
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.time_range import TimeRange, utcnow
from tests.integration.booking.test_booking_concurrency import overbooked_instants
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow

SLOT = TimeRange(tomorrow_at(9), tomorrow_at(17))


def hold(type_id: str, period: TimeRange = SLOT, quantity: int = 1) -> str:
    return BookingFacade().create_reservation(
        CreateReservation(
            make_customer(),
            type_id,
            period,
            quantity,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )


def set_hold_expiry(reservation_id: str, seconds_from_now: float) -> None:
    db.session.execute(
        text("UPDATE booking_reservations SET hold_expires_at = :at WHERE id = :id"),
        {"at": utcnow() + timedelta(seconds=seconds_from_now), "id": reservation_id},
    )
    db.session.commit()


def status_of(reservation_id: str) -> ReservationStatus:
    status = BookingFacade().get_reservation(reservation_id).status
    db.session.rollback()
    return status


def event_types_of(reservation_id: str) -> list[str]:
    rows = db.session.execute(
        text("SELECT event_type, payload FROM outbox_messages ORDER BY id")
    ).all()
    db.session.rollback()
    payloads = [(t, p if isinstance(p, dict) else json.loads(p)) for t, p in rows]
    return [t for t, p in payloads if p.get("reservation_id") == reservation_id]


class Attempt(threading.Thread):
    """Run a booking command in its own thread and app context; keep its outcome."""

    def __init__(self, app, action: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.app, self.action = app, action
        self.outcome: str | None = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                self.action()
                self.outcome = "ok"
            except ConflictError as exc:
                self.outcome = f"conflict: {exc.message}"
            except Exception as exc:  # the test reports it rather than hanging
                self.outcome = f"error: {exc!r}"
            finally:
                db.session.remove()


def lock_waiters() -> int:
    """Backends of this database waiting for a lock right now."""
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    db.session.rollback()
    return count


class RowLock:
    """A second session holding row locks (SELECT ... FOR UPDATE) until released."""

    def __init__(self, sql: str, **params) -> None:
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text(sql), params)

    def release(self) -> None:
        self.transaction.rollback()
        self.connection.close()


def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")


# --- item 1: confirming a hold in its last moments ---------------------------------------------


class MovedClock:
    """The time every booking decision of the test is made at; the test moves it, so the
    hold expires exactly between the two steps it chooses, however slow the machine is."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_hold_confirmed_as_it_expires_and_a_new_booking_never_both_get_the_last_unit(
    app, backend
):
    """The customer confirms while the hold is still live; the confirmation is held up (a
    second session locks its row) until the hold has expired; meanwhile another customer books
    the same unit. Exactly one of them may get it."""
    postgres_only(backend)
    fleet = make_type(units=1)
    held = hold(fleet.type_id)
    expires_at = utcnow() + timedelta(minutes=10)
    set_hold_expiry(held, 600)
    clock = MovedClock(expires_at - timedelta(seconds=1))  # the hold is live
    row = RowLock("SELECT id FROM booking_reservations WHERE id = :id FOR UPDATE", id=held)
    confirm = Attempt(app, lambda: BookingFacade(clock=clock).confirm_reservation(held))
    confirm.start()
    wait_until(lambda: lock_waiters() >= 1, message="the confirmation never waited")
    clock.now = expires_at + timedelta(seconds=1)  # the hold expires while it waits
    newcomer = Attempt(
        app,
        lambda: BookingFacade(clock=clock).create_reservation(
            CreateReservation(
                make_customer(),
                fleet.type_id,
                SLOT,
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
            )
        ),
    )
    newcomer.start()
    # Either the newcomer waits for the type's lock, or (the bug) books the unit at once.
    wait_until(lambda: newcomer.outcome is not None or lock_waiters() >= 2)
    row.release()
    confirm.join(30)
    newcomer.join(30)
    outcomes = sorted([confirm.outcome or "hung", newcomer.outcome or "hung"])
    assert sum(o == "ok" for o in outcomes) == 1, outcomes
    assert not any(o.startswith(("error", "hung")) for o in outcomes), outcomes
    assert overbooked_instants(fleet.type_id, 1) == []


def test_confirming_after_the_hold_expired_rechecks_capacity(app):
    fleet = make_type(units=1)
    held = hold(fleet.type_id)
    set_hold_expiry(held, -60)
    other = hold(fleet.type_id)  # the expired hold no longer counts: the unit is taken
    with pytest.raises(ConflictError, match="Your hold expired"):
        BookingFacade().confirm_reservation(held)
    assert status_of(held) is ReservationStatus.PENDING
    BookingFacade().cancel_reservation(other, "changed plans")
    BookingFacade().confirm_reservation(held)  # free again: confirming is what they want
    assert status_of(held) is ReservationStatus.CONFIRMED


# --- item 2: the hold-expiry job against confirmations ------------------------------------------


def test_the_expiry_job_never_overwrites_a_confirmation_made_while_it_runs(app, backend):
    """The job reads the stale holds, is held up on the first one (a second session locks it),
    and the customer of the second confirms in that moment. What the customer was told must
    be what is stored."""
    postgres_only(backend)
    fleet = make_type(units=2)
    first, second = hold(fleet.type_id), hold(fleet.type_id)
    set_hold_expiry(first, -120)
    set_hold_expiry(second, -60)  # both expired; the job takes `first` first
    row = RowLock("SELECT id FROM booking_reservations WHERE id = :id FOR UPDATE", id=first)
    job = Attempt(app, lambda: BookingFacade().expire_stale_holds())
    job.start()
    wait_until(lambda: job.outcome is not None or lock_waiters() >= 1)
    customer = Attempt(app, lambda: BookingFacade().confirm_reservation(second))
    customer.start()
    customer.join(30)
    row.release()
    job.join(30)
    assert job.outcome == "ok", job.outcome
    if customer.outcome == "ok":
        assert status_of(second) is ReservationStatus.CONFIRMED
        assert "ReservationExpired" not in event_types_of(second)
    else:
        assert customer.outcome and customer.outcome.startswith("conflict"), customer.outcome
        assert status_of(second) is ReservationStatus.EXPIRED
    # The hold the second session had locked is expired by the next run, not lost.
    BookingFacade().expire_stale_holds()
    assert status_of(first) is ReservationStatus.EXPIRED


def test_many_holds_expiring_while_customers_confirm_each_keep_what_they_were_told(app, backend):
    """The attack's shape: holds expiring together while customers confirm (their holds ran
    out too, but their equipment is still free, so confirming succeeds)."""
    postgres_only(backend)
    fleet = make_type(units=40)
    holds = [hold(fleet.type_id) for _ in range(40)]
    for rid in holds:
        set_hold_expiry(rid, -1)
    told: dict[str, str] = {}

    def confirm_each(reservation_ids: list[str]) -> None:
        for rid in reservation_ids:
            try:
                BookingFacade().confirm_reservation(rid)
                told[rid] = "confirmed"
            except ConflictError:
                told[rid] = "refused"

    threads = [Attempt(app, lambda: BookingFacade().expire_stale_holds())]
    threads += [Attempt(app, lambda rids=holds[i::4]: confirm_each(rids)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [t.outcome for t in threads] == ["ok"] * 5
    BookingFacade().expire_stale_holds()
    assert len(told) == len(holds)
    for rid, answer in told.items():
        expected = (
            ReservationStatus.CONFIRMED if answer == "confirmed" else ReservationStatus.EXPIRED
        )
        assert status_of(rid) is expected, (rid, answer, event_types_of(rid))


# --- confirming re-checks what creating checked -------------------------------------------------


def test_a_hold_of_a_customer_suspended_meanwhile_cannot_be_confirmed(app):
    from rental.customers import CustomerFacade

    fleet = make_type(units=1)
    held = hold(fleet.type_id)
    CustomerFacade().suspend_customer(BookingFacade().get_reservation(held).customer_id)
    # The customer confirming is told only the neutral refusal; staff are told why.
    with pytest.raises(ConflictError, match="We could not take this booking online"):
        BookingFacade().confirm_reservation(held)
    with pytest.raises(ValidationError, match="cannot make bookings"):
        BookingFacade().confirm_reservation(held, approve=True)
    assert status_of(held) is ReservationStatus.PENDING


def test_a_hold_of_a_type_taken_off_the_catalog_meanwhile_cannot_be_confirmed(app):
    from rental.catalog import CatalogFacade, UpdateEquipmentType

    fleet = make_type(units=1)
    held = hold(fleet.type_id)
    details = CatalogFacade().get_equipment_type_details(fleet.type_id)
    CatalogFacade().update_equipment_type(
        UpdateEquipmentType(fleet.type_id, details.name, details.category_id, active=False)
    )
    with pytest.raises(ValidationError, match="cannot be booked at the moment"):
        BookingFacade().confirm_reservation(held)
    assert status_of(held) is ReservationStatus.PENDING
