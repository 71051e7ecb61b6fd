"""Availability and booking latency with a realistic amount of data.

    .venv/bin/python benchmarks/availability.py [--reservations 5000] [--runs 300]

Builds a fresh database per backend (SQLite always; PostgreSQL when RENTAL_TEST_POSTGRES_URL
is set), 10 equipment types of 20 items, and N live reservations spread over 90 days, then
times CheckAvailability (an available answer, and a sold-out answer with its alternatives
search) and CreateReservation. Prints a table of p50 / p95 in milliseconds."""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rental import create_app
from rental.booking import (
    BookingFacade,
    CheckAvailability,
    CreateReservation,
    PricingBasis,
)
from rental.shared.errors import ConflictError
from rental.shared.time_range import TimeRange
from tests.support.databases import fresh_database, migrate, postgres_admin_url
from tests.support.fleet import make_category, make_customer, make_type

TYPES, ITEMS = 10, 20


def day_start(days: int) -> datetime:
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def populate(n_reservations: int, rng: random.Random):
    category = make_category("Bench")
    fleets = [make_type(units=ITEMS, category_id=category) for _ in range(TYPES)]
    customers = [make_customer() for _ in range(50)]
    booking = BookingFacade()
    made = 0
    while made < n_reservations:
        fleet = rng.choice(fleets[1:])  # fleets[0] stays for the sold-out case
        start = day_start(rng.randint(1, 90)) + timedelta(hours=rng.randint(6, 14))
        period = TimeRange(start, start + timedelta(hours=rng.choice([2, 4, 8, 24, 48])))
        try:
            booking.create_reservation(
                CreateReservation(
                    rng.choice(customers),
                    fleet.type_id,
                    period,
                    1,
                    PricingBasis.HOURLY,
                    secrets.token_urlsafe(24),
                )
            )
            made += 1
        except ConflictError:
            pass
    sold_out = TimeRange(day_start(5) + timedelta(hours=8), day_start(5) + timedelta(hours=16))
    booking.create_reservation(
        CreateReservation(
            customers[0],
            fleets[0].type_id,
            sold_out,
            ITEMS,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    return fleets, customers, sold_out


def timed(func, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench(backend: str, url: str, n: int, runs: int) -> list[tuple[str, str, float, float]]:
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(7)
    rows = []
    with app.app_context():
        fleets, customers, sold_out = populate(n, rng)
        booking = BookingFacade()

        def available():
            fleet = rng.choice(fleets[1:])
            start = day_start(rng.randint(1, 90)) + timedelta(hours=9)
            booking.check_availability(
                CheckAvailability(fleet.type_id, TimeRange(start, start + timedelta(hours=8)), 1)
            )

        def unavailable():
            result = booking.check_availability(CheckAvailability(fleets[0].type_id, sold_out, 1))
            assert not result.is_available and result.alternatives is not None

        def create():
            fleet = rng.choice(fleets[1:])
            start = day_start(rng.randint(91, 200)) + timedelta(hours=9)
            booking.create_reservation(
                CreateReservation(
                    rng.choice(customers),
                    fleet.type_id,
                    TimeRange(start, start + timedelta(hours=4)),
                    1,
                    PricingBasis.HOURLY,
                    secrets.token_urlsafe(24),
                )
            )

        for name, func in [
            ("CheckAvailability (available)", available),
            ("CheckAvailability (sold out + alternatives)", unavailable),
            ("CreateReservation", create),
        ]:
            p50, p95 = timed(func, runs)
            rows.append((backend, name, p50, p95))
        from rental.extensions import db

        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reservations", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with fresh_database(backend, Path(tmp)) as url:
                rows += bench(backend, url, args.reservations, args.runs)
    print(
        f"\n{args.reservations} live reservations, {TYPES} types x {ITEMS} items, "
        f"{args.runs} runs each\n"
    )
    print("| backend | operation | p50 ms | p95 ms |")
    print("|---|---|---:|---:|")
    for backend, name, p50, p95 in rows:
        print(f"| {backend} | {name} | {p50:.2f} | {p95:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
