"""Availability and booking latency: against booking history, and with many live bookings.

    .venv/bin/python benchmarks/availability.py [--history 10000,100000,1000000] [--runs 200]
    .venv/bin/python benchmarks/availability.py --history 100000 --before

Builds a fresh database per backend and size (SQLite always; PostgreSQL when
RENTAL_TEST_POSTGRES_URL is set or the local server answers: benchmarks/_support.py).

History: one equipment type of 20 items, N past reservations (completed, cancelled, expired,
no-show and confirmed ones that ended, over three years) bulk-inserted (executemany on SQLite,
COPY on PostgreSQL), ~200 live bookings for the next 60 days (confirmed, holds, on hire, one
overdue), then ANALYZE. Times 200 random 8-hour CheckAvailability calls in the next 60 days
(`with_alternatives=False`), a sold-out answer with its alternatives search, the staff
timeline's usage profile (14 days), the dashboard's heat-map (14 days) and its reservation
lists; prints p50 / p95 per size and backend, and the plan of the availability query (EXPLAIN
QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL). `--before` measures the main case again
with the live-row indexes of migration 0030 dropped (the plan before it).

Live (`--reservations`, 0 to skip): 10 types of 20 items and N live reservations over 90 days,
booked one by one through the facade; times an available answer, a sold-out answer with its
alternatives, and CreateReservation."""

from __future__ import annotations

import argparse
import json
import logging
import random
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text

from benchmarks._support import backends as available_backends
from benchmarks._support import scratch_database
from rental import create_app
from rental.booking import (
    BookingChannel,
    BookingFacade,
    CheckAvailability,
    CreateReservation,
    ListReservations,
    PricingBasis,
)
from rental.booking.domain.availability import Occupancy, assess
from rental.booking.infrastructure.repositories import ReservationRepository
from rental.extensions import db
from rental.shared.db import reads_only
from rental.shared.errors import ConflictError
from rental.shared.time_range import TimeRange
from tests.support.databases import migrate
from tests.support.fleet import make_category, make_customer, make_type

TYPES, ITEMS = 10, 20
HISTORY_DAYS = 3 * 365
LIVE_BOOKINGS = 200
DAYS_AHEAD = 60
# Share of history per final status (the rest: CONFIRMED ones that ended, never closed).
HISTORY_MIX = (("COMPLETED", 0.55), ("CANCELLED", 0.15), ("EXPIRED", 0.15), ("NO_SHOW", 0.03))
LENGTHS = [timedelta(hours=h) for h in (2, 4, 8, 24, 48, 168)]
# Migration 0030's indexes, dropped by --before to show the plan they replace.
NEW_INDEXES = (
    "ix_booking_reservations_live_type_end",
    "ix_booking_reservations_live_end",
    "ix_booking_reservations_attention",
)
OUT_INDEX = "ix_inventory_allocations_out"  # migration 0033, dropped first by --before
COLUMNS = [
    "id",
    "reference",
    "customer_id",
    "equipment_type_id",
    "start_at",
    "end_at",
    "quantity",
    "basis",
    "currency",
    "total_amount",
    "quote",
    "status",
    "created_at",
    "updated_at",
    "hold_expires_at",
    "manage_token_hash",
    "order_id",
    "line_no",
    "needs_attention",
    "attention_code",
    "version",
    "channel",
    "customer_known",
]


def day_start(days: int) -> datetime:
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def progress(row: tuple) -> None:
    """A finished measurement on stderr, so a long run shows where it is."""
    print(" | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row), file=sys.stderr)


def timed(func: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


# --- history: bulk-inserted rows ----------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """What every inserted row copies from one real booking (its quote, its money)."""

    type_id: str
    customer_id: str
    quote: str
    currency: str
    total: object


def history_rows(n: int, t: Template, rng: random.Random, now: datetime) -> Iterator[tuple]:
    first = now - timedelta(days=HISTORY_DAYS)
    statuses = [s for s, _ in HISTORY_MIX] + ["CONFIRMED"]
    weights = [w for _, w in HISTORY_MIX] + [1 - sum(w for _, w in HISTORY_MIX)]
    for i in range(n):
        length = rng.choice(LENGTHS)
        # Every one ended an hour ago at the latest, each at its own pace: clipping the ends
        # piled the last week's starts up at "an hour ago" (at 1M, ~770 confirmed bookings
        # ending today, which the timeline and dashboard, from today on, rightly count).
        latest = HISTORY_DAYS * 96 - length // timedelta(minutes=15) - 4
        start = first + timedelta(minutes=15 * rng.randrange(latest))
        end = start + length
        status = rng.choices(statuses, weights)[0]
        yield row(f"H{i:011d}", t, start, end, 1, status, None, start - timedelta(days=3))


def row(
    reference: str,
    t: Template,
    start: datetime,
    end: datetime,
    quantity: int,
    status: str,
    hold_expires_at: datetime | None,
    created: datetime,
    attention: str | None = None,
) -> tuple:
    return (
        str(uuid.uuid4()),
        reference,
        t.customer_id,
        t.type_id,
        start,
        end,
        quantity,
        "HOURLY",
        t.currency,
        t.total,
        t.quote,
        status,
        created,
        created,
        hold_expires_at,
        secrets.token_hex(32),
        str(uuid.uuid4()),
        1,
        attention is not None,
        attention,
        0,
        "STAFF",
        False,
    )


def live_rows(t: Template, rng: random.Random, now: datetime, sold_out: TimeRange) -> list[tuple]:
    """~LIVE_BOOKINGS live bookings that fit the fleet: the sold-out window first (all
    units), an overdue line (ended an hour ago, on hire), a few on hire now, holds, and
    confirmed bookings in the next DAYS_AHEAD days."""
    taken: list[Occupancy] = [Occupancy(sold_out, ITEMS)]
    rows = [row("LSOLDOUT", t, sold_out.start, sold_out.end, ITEMS, "CONFIRMED", None, now)]
    overdue = TimeRange(now - timedelta(days=2), now - timedelta(hours=1))
    rows.append(
        row("LOVERDUE", t, overdue.start, overdue.end, 1, "ON_HIRE", None, now, attention="overdue")
    )
    made = 0
    while made < LIVE_BOOKINGS:
        start = day_start(rng.randint(0, DAYS_AHEAD)) + timedelta(hours=rng.randint(6, 14))
        period = TimeRange(start, start + rng.choice(LENGTHS[:5]))
        if period.end <= now:
            continue
        quantity = rng.randint(1, 4)
        if not assess(taken, period, quantity, ITEMS).is_available:
            continue
        taken.append(Occupancy(period, quantity))
        status = "ON_HIRE" if period.start < now else rng.choice(["CONFIRMED"] * 9 + ["PENDING"])
        expires = now + timedelta(minutes=15) if status == "PENDING" else None
        rows.append(
            row(f"L{made:07d}", t, period.start, period.end, quantity, status, expires, now)
        )
        made += 1
    return rows


def bulk_insert(rows: Iterator[tuple] | list[tuple], backend: str, batch: int = 50_000) -> None:
    """COPY on PostgreSQL, executemany on SQLite: no ORM, no booking one by one."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if backend == "postgresql":
            columns = ", ".join(COLUMNS)
            with cursor.copy(f"COPY booking_reservations ({columns}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cursor.execute("BEGIN")  # the app's connections autocommit; one transaction here
            marks = ", ".join("?" for _ in COLUMNS)
            insert = f"INSERT INTO booking_reservations ({', '.join(COLUMNS)}) VALUES ({marks})"
            chunk: list[tuple] = []
            for r in rows:
                chunk.append(tuple(_sqlite(v) for v in r))
                if len(chunk) >= batch:
                    cursor.executemany(insert, chunk)
                    chunk = []
            cursor.executemany(insert, chunk)
        raw.commit()
    finally:
        raw.close()


def drop_indexes(backend: str, names: Sequence[str]) -> None:
    db.session.remove()  # its read transaction would hold the DROP INDEX back
    with db.engine.begin() as conn:
        for index in names:
            conn.execute(text(f"DROP INDEX {index}"))
    analyze(backend)


def allocate_history(type_id: str) -> None:
    """The items that served the history: one returned allocation per completed booking (and
    per confirmed one that ended), spread over the type's items — what Inventory keeps for
    every booking served, so its reads are measured against a history too."""
    uuid_sql = (
        "gen_random_uuid()::text"
        if db.engine.dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    statement = text(
        f"""
        INSERT INTO inventory_allocations (id, item_id, reservation_id, starts_at, ends_at,
            status, picked_up_at, returned_at, created_at, updated_at)
        SELECT {uuid_sql}, items.id, r.id, r.start_at, r.end_at, 'RETURNED', r.start_at,
            r.end_at, r.created_at, r.updated_at
        FROM (
            SELECT b.*, (row_number() OVER (ORDER BY b.id)) % :items AS k
            FROM booking_reservations b
            WHERE b.reference LIKE 'H%' AND b.status IN ('COMPLETED', 'CONFIRMED')
        ) r
        JOIN (
            SELECT i.id, (row_number() OVER (ORDER BY i.id)) - 1 AS k
            FROM inventory_items i WHERE i.equipment_type_id = :type_id
        ) items ON items.k = r.k
        """
    )
    with db.engine.begin() as conn:
        conn.execute(statement, {"items": ITEMS, "type_id": type_id})


def _sqlite(value: object) -> object:
    """As UTCDateTime and Numeric store it on SQLite (naive UTC text, a float)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if value.__class__.__name__ == "Decimal":
        return float(value)  # type: ignore[arg-type]
    return value


def analyze(backend: str) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) keep them."""
    raw = db.engine.raw_connection()
    try:
        if backend == "postgresql":
            raw.driver_connection.autocommit = True  # VACUUM runs outside a transaction
            raw.cursor().execute("VACUUM ANALYZE booking_reservations")
            raw.cursor().execute("VACUUM ANALYZE inventory_allocations")
            raw.driver_connection.autocommit = False
        else:
            raw.cursor().execute("ANALYZE")  # the app's SQLite connections autocommit
    finally:
        raw.close()
    db.engine.dispose()  # SQLite reads the statistics when a connection opens


# --- the plan of the availability query -------------------------------------------------------


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def explain(backend: str, check: Callable[[], object]) -> list[str]:
    """The plan of the reservations query `check` runs (its own SQL and parameters)."""
    with captured_statements() as seen:
        check()
    db.session.remove()
    statement, parameters = next(
        (s, p) for s, p in seen if "FROM booking_reservations" in s and "quantity" in s
    )
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        plan = [" ".join(str(c) for c in r[-1:]) for r in cursor.fetchall()]
    finally:
        raw.close()
    return plan


# --- the history benchmark --------------------------------------------------------------------


def bench_history(
    backend: str, url: str, n: int, runs: int, before: bool
) -> tuple[list[tuple], list[str]]:
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(11)
    rows: list[tuple] = []
    with app.app_context():
        booking = BookingFacade()
        fleet = make_type(units=ITEMS, category_id=make_category("History"))
        customer = make_customer()
        now = datetime.now(UTC)
        # One real booking far ahead: its quote and money are every inserted row's.
        far = day_start(300) + timedelta(hours=9)
        made = booking.create_reservation(
            CreateReservation(
                customer,
                fleet.type_id,
                TimeRange(far, far + timedelta(hours=2)),
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
        real = booking.get_reservation(made)
        quote = json.dumps(real.quote.to_dict())
        t = Template(fleet.type_id, customer, quote, real.total.currency, real.total.amount)
        sold_out = TimeRange(day_start(5) + timedelta(hours=8), day_start(5) + timedelta(hours=16))
        t0 = time.perf_counter()
        bulk_insert(history_rows(n, t, rng, now), backend)
        allocate_history(fleet.type_id)
        bulk_insert(live_rows(t, rng, now, sold_out), backend)
        analyze(backend)
        loaded = time.perf_counter() - t0
        db.session.remove()

        def window() -> TimeRange:
            start = day_start(rng.randint(1, DAYS_AHEAD)) + timedelta(hours=rng.randint(6, 14))
            return TimeRange(start, start + timedelta(hours=8))

        def available() -> None:
            booking.check_availability(
                CheckAvailability(fleet.type_id, window(), 1, with_alternatives=False)
            )

        def in_request() -> None:
            # As the availability view answers it: reference data (type, rate card, shop
            # hours, policy) from the process's cache (rental.shared.reference_cache), reads
            # outside a transaction on PostgreSQL (@reads_only), the session ended after.
            with app.test_request_context("/"):
                reads_only(available)()
            db.session.remove()

        def alternatives() -> None:
            result = booking.check_availability(CheckAvailability(fleet.type_id, sold_out, 1))
            assert not result.is_available and result.alternatives is not None

        reservations = ReservationRepository()

        def query_alone() -> None:
            # The one statement history could slow down, without the rest of the answer.
            reservations.occupancies(fleet.type_id, window(), timedelta(0), datetime.now(UTC))

        fortnight = [TimeRange(day_start(d), day_start(d + 1)) for d in range(14)]

        def timeline() -> None:
            booking.usage_profile(fleet.type_id, TimeRange(day_start(0), day_start(14)))

        def heat_map() -> None:
            booking.daily_utilisation([fleet.type_id], fortnight)

        today = (day_start(0), day_start(1))

        def dashboard() -> None:
            live = ("CONFIRMED", "ON_HIRE")
            for flt in (
                ListReservations(statuses=live, starts_from=today[0], starts_before=today[1]),
                ListReservations(statuses=live, picks_up=today, page_size=50),
                ListReservations(statuses=live, returns=today, page_size=50),
                ListReservations(needs_attention=True, page_size=20),
                ListReservations(overdue=True, page_size=50),
                ListReservations(statuses=("PENDING", "REQUESTED"), oldest_first=True),
            ):
                booking.list_reservations(flt)

        def floor() -> None:
            # What any request's reads cost before doing anything: a connection from the pool,
            # one statement in a transaction, its end (on PostgreSQL, BEGIN and ROLLBACK are
            # round trips of their own).
            db.session.execute(text("SELECT 1"))
            db.session.remove()

        def floor_in_view() -> None:
            with app.test_request_context("/"):
                reads_only(floor)()

        cases = [
            ("floor: SELECT 1 in a transaction of its own", floor, runs),
            (
                "floor: SELECT 1 in a @reads_only request (PostgreSQL: no transaction)",
                floor_in_view,
                runs,
            ),
            (f"check_availability, {runs} random 8 h in {DAYS_AHEAD} days", available, runs),
            ("  as the web view makes it (@reads_only, kept reference data)", in_request, runs),
            ("  its reservations query alone", query_alone, runs),
            ("sold out + alternatives (14 days)", alternatives, max(runs // 4, 10)),
            ("timeline usage profile (14 days)", timeline, max(runs // 4, 10)),
            ("dashboard heat-map (14 days)", heat_map, max(runs // 4, 10)),
            ("dashboard reservation lists (6 reads)", dashboard, max(runs // 4, 10)),
        ]
        for name, func, count in cases:
            func()  # warm: the first call pays for caches and prepared statements
            rows.append((backend, n, name, *timed(func, count)))
            progress(rows[-1])
        plan = explain(backend, available)
        if before:
            drop_indexes(backend, [OUT_INDEX])
            available()
            rows.append(
                (backend, n, "check_availability, 0033 index dropped", *timed(available, runs))
            )
            progress(rows[-1])
            drop_indexes(backend, NEW_INDEXES)
            available()
            rows.append((backend, n, "  and 0030's dropped too", *timed(available, runs)))
            rows.append(
                (backend, n, "  its query alone, 0030 indexes dropped", *timed(query_alone, runs))
            )
            progress(rows[-2])
            progress(rows[-1])
            plan += ["-- before 0030:", *explain(backend, available)]
        db.session.remove()
        db.engine.dispose()
    header = f"{backend}, {n:,} history rows (loaded + analyzed in {loaded:.1f} s):"
    return rows, [header, *plan]


# --- the live-bookings benchmark (booked one by one) ------------------------------------------


def populate_live(n_reservations: int, rng: random.Random):
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
                    channel=BookingChannel.STAFF,
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
            channel=BookingChannel.STAFF,
        )
    )
    return fleets, customers, sold_out


def bench_live(backend: str, url: str, n: int, runs: int) -> list[tuple[str, str, float, float]]:
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(7)
    rows = []
    with app.app_context():
        fleets, customers, sold_out = populate_live(n, rng)
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
                    channel=BookingChannel.STAFF,
                )
            )

        for name, func in [
            ("CheckAvailability (available)", available),
            ("CheckAvailability (sold out + alternatives)", unavailable),
            ("CreateReservation", create),
        ]:
            p50, p95 = timed(func, runs)
            rows.append((backend, name, p50, p95))
        db.session.remove()
        db.engine.dispose()
    return rows


# --- main -------------------------------------------------------------------------------------


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {value!r}") from None
    if not sizes or min(sizes) < 0:
        raise argparse.ArgumentTypeError("give one or more sizes of at least 0")
    return sizes


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--history",
        type=parse_sizes,
        default=[10_000, 100_000, 1_000_000],
        help="past reservations per run, comma-separated (--quick: 10000)",
    )
    parser.add_argument("--runs", type=int, default=200, help="calls per timed case")
    parser.add_argument(
        "--reservations",
        type=int,
        default=1000,
        help="live bookings (booked one by one) of the live benchmark; 0 skips it",
    )
    parser.add_argument(
        "--before",
        action="store_true",
        help="also time the main case with migration 0030's indexes dropped",
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="which of sqlite,postgresql to run (PostgreSQL only when there is a server)",
    )
    parser.add_argument("--quick", action="store_true", help="short runs (make bench --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.history, args.runs, args.reservations = [10_000], 50, 200
    logging.disable(logging.INFO)  # the migrations log every step
    wanted = {b.strip() for b in args.backends.split(",")}
    backends = [b for b in available_backends() if b in wanted]
    history: list[tuple] = []
    plans: list[str] = []
    live: list[tuple] = []
    for backend in backends:
        for n in args.history:
            with scratch_database(backend, "availability") as url:
                found, plan = bench_history(backend, url, n, args.runs, args.before)
                history += found
                plans += [*plan, ""]
        if args.reservations:
            with scratch_database(backend, "availability") as url:
                live += bench_live(backend, url, args.reservations, args.runs)
    lines = [
        f"History: 1 type x {ITEMS} items, ~{LIVE_BOOKINGS} live bookings in the next "
        f"{DAYS_AHEAD} days, N past reservations over {HISTORY_DAYS // 365} years",
        "",
        "| backend | history | operation | p50 ms | p95 ms |",
        "|---|---:|---|---:|---:|",
        *(f"| {b} | {n:,} | {name} | {p50:.2f} | {p95:.2f} |" for b, n, name, p50, p95 in history),
    ]
    if live:
        lines += [
            "",
            f"{args.reservations} live reservations, {TYPES} types x {ITEMS} items, "
            f"{args.runs} runs each",
            "",
            "| backend | operation | p50 ms | p95 ms |",
            "|---|---|---:|---:|",
            *(f"| {b} | {name} | {p50:.2f} | {p95:.2f} |" for b, name, p50, p95 in live),
        ]
    lines += ["", "Plans of the availability query:", "", "```", *plans, "```"]
    return lines


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1:])))
