"""Overbooking is impossible: many threads (and, on PostgreSQL, processes) race for the last
units of a type; exactly the free capacity succeeds and no instant is ever over capacity."""

from __future__ import annotations

import multiprocessing
import secrets
import threading

import pytest
from sqlalchemy import text

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.extensions import db
from rental.shared.errors import ConflictError
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at

pytestmark = pytest.mark.slow

THREADS = 32
CAPACITY = 5
ALREADY_BOOKED = 2


def overbooked_instants(type_id: str, capacity: int) -> list:
    """The invariant, in SQL: at every reservation start, the live units in use."""
    rows = db.session.execute(
        text(
            """
            SELECT s.t, SUM(r.quantity) AS used
            FROM (
                SELECT DISTINCT start_at AS t FROM booking_reservations
                WHERE equipment_type_id = :type_id AND status IN ('PENDING', 'CONFIRMED')
            ) s
            JOIN booking_reservations r
              ON r.start_at <= s.t AND s.t < r.end_at
            WHERE r.equipment_type_id = :type_id AND r.status IN ('PENDING', 'CONFIRMED')
            GROUP BY s.t
            HAVING SUM(r.quantity) > :capacity
            """
        ),
        {"type_id": type_id, "capacity": capacity},
    ).all()
    db.session.rollback()
    return rows


def _periods(n: int) -> list[TimeRange]:
    # Different but all overlapping 12:00–13:00, so every attempt competes with every other.
    return [
        TimeRange(tomorrow_at(9, 15 * (i % 8)), tomorrow_at(13, 15 * (i % 5))) for i in range(n)
    ]


def test_32_threads_race_for_the_last_units(app):
    fleet = make_type(units=CAPACITY)
    customers = [make_customer() for _ in range(THREADS)]
    for _ in range(ALREADY_BOOKED):
        BookingFacade().create_reservation(
            CreateReservation(
                customers[0],
                fleet.type_id,
                TimeRange(tomorrow_at(8), tomorrow_at(18)),
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
            )
        )
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int, p: TimeRange) -> None:
        with app.app_context():
            barrier.wait()
            try:
                BookingFacade().create_reservation(
                    CreateReservation(
                        customers[i],
                        fleet.type_id,
                        p,
                        1,
                        PricingBasis.HOURLY,
                        secrets.token_urlsafe(24),
                    )
                )
                result = "ok"
            except ConflictError:
                result = "conflict"
            except Exception as exc:
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [
        threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(_periods(THREADS))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    free = CAPACITY - ALREADY_BOOKED
    summary = {k: outcomes.count(k) for k in set(outcomes)}
    print(
        f"\nthreads: attempts={len(outcomes)} successes={outcomes.count('ok')} "
        f"conflicts={outcomes.count('conflict')} other={summary}"
    )
    assert outcomes.count("ok") == free, summary
    assert outcomes.count("conflict") == THREADS - free, summary
    assert overbooked_instants(fleet.type_id, CAPACITY) == []


def _process_attempts(database_url, type_id, customer_ids, periods, barrier, results):
    from rental import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        barrier.wait()
        for customer_id, (start, end) in zip(customer_ids, periods, strict=True):
            try:
                BookingFacade().create_reservation(
                    CreateReservation(
                        customer_id,
                        type_id,
                        TimeRange(start, end),
                        1,
                        PricingBasis.HOURLY,
                        secrets.token_urlsafe(24),
                    )
                )
                results.put("ok")
            except ConflictError:
                results.put("conflict")
            except Exception as exc:
                results.put(f"error: {exc!r}")


def test_several_processes_race_for_the_last_units_on_postgresql(app, backend, database_url):
    if backend != "postgresql":
        pytest.skip("several processes writing at once is the PostgreSQL deployment")
    fleet = make_type(units=CAPACITY)
    processes, per_process = 4, 8
    customers = [make_customer() for _ in range(processes * per_process)]
    periods = [(p.start, p.end) for p in _periods(processes * per_process)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_process_attempts,
            args=(
                database_url,
                fleet.type_id,
                customers[i * per_process : (i + 1) * per_process],
                periods[i * per_process : (i + 1) * per_process],
                barrier,
                results,
            ),
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in range(processes * per_process)]
    for w in workers:
        w.join(30)
    summary = {k: outcomes.count(k) for k in set(outcomes)}
    print(
        f"\nprocesses: attempts={len(outcomes)} successes={outcomes.count('ok')} "
        f"conflicts={outcomes.count('conflict')} other={summary}"
    )
    assert outcomes.count("ok") == CAPACITY, summary
    assert outcomes.count("conflict") == len(outcomes) - CAPACITY, summary
    assert overbooked_instants(fleet.type_id, CAPACITY) == []
