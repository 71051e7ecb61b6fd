"""Repositories of the Booking module: domain models in, domain models out."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, islice
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rental.booking.domain.availability import Occupancy
from rental.booking.domain.models import (
    HOLD,
    HOLDING,
    OVERDUE_CODE,
    BookingChannel,
    FrozenQuote,
    Order,
    PricingBasis,
    Reservation,
    ReservationStatus,
    TypedDetails,
)
from rental.booking.infrastructure.entities import (
    LIVE_STATUSES,
    OrderEntity,
    ReservationEntity,
)
from rental.shared.db import UTCDateTime, db, is_postgres, read_columns
from rental.shared.errors import ConflictError
from rental.shared.time_range import TimeRange

E = ReservationEntity


def to_domain(e: ReservationEntity) -> Reservation:
    return Reservation(
        id=e.id,
        reference=e.reference,
        customer_id=e.customer_id,
        equipment_type_id=e.equipment_type_id,
        period=TimeRange(e.start_at, e.end_at),
        quantity=e.quantity,
        basis=PricingBasis(e.basis),
        quote=FrozenQuote.from_dict(e.quote),
        status=ReservationStatus(e.status),
        created_at=e.created_at,
        updated_at=e.updated_at,
        hold_expires_at=e.hold_expires_at,
        manage_token_hash=e.manage_token_hash,
        cancellation_reason=e.cancellation_reason,
        needs_attention=e.needs_attention,
        attention_reason=e.attention_reason,
        attention_code=e.attention_code,
        version=e.version,
        channel=BookingChannel(e.channel),
        origin_key=e.origin_key,
        customer_known=bool(e.customer_known),
        typed_details=TypedDetails.from_dict(e.typed_details) if e.typed_details else None,
        order_id=e.order_id,
        line_no=e.line_no,
        kit_id=e.kit_id,
        kit_quantity=e.kit_quantity,
    )


def to_entity(r: Reservation, e: ReservationEntity | None = None) -> ReservationEntity:
    e = e or ReservationEntity(id=r.id)
    e.reference = r.reference
    e.customer_id = r.customer_id
    e.equipment_type_id = r.equipment_type_id
    e.start_at = r.period.start
    e.end_at = r.period.end
    e.quantity = r.quantity
    e.basis = r.basis.value
    e.currency = r.quote.total.currency
    e.total_amount = r.quote.total.amount
    e.quote = r.quote.to_dict()
    e.status = r.status.value
    e.created_at = r.created_at
    e.updated_at = r.updated_at
    e.hold_expires_at = r.hold_expires_at
    e.manage_token_hash = r.manage_token_hash
    e.cancellation_reason = r.cancellation_reason
    e.needs_attention = r.needs_attention
    e.attention_reason = r.attention_reason
    e.attention_code = r.attention_code
    e.version = r.version
    e.channel = r.channel.value
    e.origin_key = r.origin_key
    e.customer_known = r.customer_known
    e.typed_details = r.typed_details.to_dict() if r.typed_details else None
    e.order_id = r.order_id
    e.line_no = r.line_no
    e.kit_id = r.kit_id
    e.kit_quantity = r.kit_quantity
    return e


def order_of(o: OrderEntity, lines: Sequence[ReservationEntity]) -> Order:
    return Order(
        id=o.id,
        reference=o.reference,
        customer_id=o.customer_id,
        manage_token_hash=o.manage_token_hash,
        channel=BookingChannel(o.channel),
        created_at=o.created_at,
        lines=tuple(to_domain(e) for e in sorted(lines, key=lambda e: e.line_no)),
    )


# The partial indexes' own condition (entities.LIVE_PREDICATE), with literal values: a query
# stating it may use them (SQLite compares the text; PostgreSQL proves it from constants).
# (tests/unit/booking/test_live_rows.py: they are the statuses that may hold capacity.)
_LIVE_ROWS = E.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES])


def _live(now: datetime | BindParameter[Any]):
    """Reservation.holds_capacity in SQL, built from the same constants: the statuses that
    always hold, and a hold until it runs out (within the live rows the indexes cover)."""
    return and_(
        _LIVE_ROWS,
        or_(
            E.status.in_([s.value for s in HOLDING]),
            and_(E.status == HOLD.value, E.hold_expires_at > now),
        ),
    )


@functools.cache
def _occupancies_statement(exclude_id: bool, exclude_order_id: bool) -> Select[Any]:
    """`occupancies`' query, built once per process and variant with bind parameters
    (building it took longer than running it, on every availability check)."""
    query = select(E.start_at, E.end_at, E.quantity).where(
        E.equipment_type_id == bindparam("type_id"),
        E.end_at > bindparam("after", type_=UTCDateTime()),
        E.start_at < bindparam("before", type_=UTCDateTime()),
        _live(bindparam("now", type_=UTCDateTime())),
    )
    if exclude_id:
        query = query.where(E.id != bindparam("exclude_id"))
    if exclude_order_id:
        query = query.where(E.order_id != bindparam("exclude_order_id"))
    return query


def _open(now: datetime):
    """Waiting for someone to confirm: a live hold, or a request for staff."""
    return or_(
        and_(E.status == HOLD.value, E.hold_expires_at > now),
        E.status == ReservationStatus.REQUESTED.value,
    )


@dataclass(frozen=True, slots=True)
class NewBookingGuards:
    same_form_id: str | None  # the order this form already made (the same manage token)
    open_of_customer: int  # live holds and requests waiting for confirmation
    open_of_origin: int  # the same, from the same network (0 when the origin is unknown)
    reference_taken: bool


@dataclass(frozen=True, slots=True)
class ListReservations:
    """Which reservations a list shows (the staff list, the dashboard, open holds): filters,
    page and order."""

    status: str | None = None
    equipment_type_id: str | None = None
    customer_id: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    needs_attention: bool | None = None
    reference: str | None = None
    # Staff's search box: the reference, or the customer's name, e-mail or phone (the
    # customers are found by Customers: ReservationQueries.list).
    text: str | None = None
    statuses: tuple[str, ...] = ()
    origin_key: str | None = None
    oldest_first: bool = False
    # Lines on hire flagged overdue (Reservation.overdue), the longest overdue (earliest end)
    # first: the dashboard's "Overdue now".
    overdue: bool = False
    # The dashboard's "Today": pick-ups (start in [from, before)) and returns (end in it),
    # in the order they happen.
    picks_up: tuple[datetime, datetime] | None = None
    returns: tuple[datetime, datetime] | None = None
    page: int = 1
    page_size: int = 25


class ReservationRepository:
    def __init__(self, session: Session | None = None) -> None:
        # The scoped proxy, not a Session: a facade kept across requests follows the current one.
        self.session = session or db.session

    def lock_equipment_type(self, equipment_type_id: str) -> None:
        """Serialise competing bookings of one type until the transaction ends."""
        self._lock(f"booking:{equipment_type_id}")

    def lock_equipment_types(self, equipment_type_ids: Sequence[str]) -> None:
        """Several types' locks in one statement, in sorted order (see lock_for_new_booking)."""
        self._lock(*(f"booking:{t}" for t in sorted(set(equipment_type_ids))))

    def lock_for_new_booking(
        self,
        equipment_type_ids: str | Sequence[str],
        customer_id: str | None,
        origin_key: str | None,
    ) -> None:
        """The types' locks and, for an online booking, the customer's and the origin's, so
        the caps on open bookings hold under concurrent requests — in one statement, always
        in this order (customer, origin, then the types sorted), so no two transactions wait
        for each other in a circle (every other lock taken is types' alone, sorted)."""
        if isinstance(equipment_type_ids, str):
            equipment_type_ids = [equipment_type_ids]
        names = [
            *([f"booking-customer:{customer_id}"] if customer_id else []),
            *([f"booking-origin:{origin_key}"] if origin_key else []),
            *(f"booking:{t}" for t in sorted(set(equipment_type_ids))),
        ]
        self._lock(*names)

    def _lock(self, *names: str) -> None:
        """PostgreSQL: transaction-scoped advisory locks keyed by `names`, taken left to right
        by one statement. SQLite: the unit of work already began with BEGIN IMMEDIATE, which
        holds the database's single write lock."""
        if is_postgres(self.session):
            keys = {
                f"k{i}": int.from_bytes(
                    hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
                )
                for i, name in enumerate(names)
            }
            calls = ", ".join(f"pg_advisory_xact_lock(:{k})" for k in keys)
            self.session.execute(text(f"SELECT {calls}"), keys)

    def before_new_booking(
        self,
        now: datetime,
        token_hash: str,
        reference: str,
        customer_id: str,
        origin_key: str | None,
    ) -> NewBookingGuards:
        """What must be known before a new booking is written, in one statement (run under
        lock_for_new_booking): the booking made by the same form (its token), the customer's
        and the origin's open bookings, and whether the drawn reference is taken."""
        is_open = _open(now)
        of_customer = and_(is_open, E.customer_id == customer_id)
        of_origin = and_(is_open, E.origin_key == origin_key) if origin_key else false()
        same_form = E.manage_token_hash == token_hash
        same_reference = E.reference == reference
        row = self.session.execute(
            select(
                func.max(case((same_form, E.order_id))),
                # Bookings, not lines: an order of several lines counts once.
                func.count(func.distinct(case((of_customer, E.order_id)))),
                func.count(func.distinct(case((of_origin, E.order_id)))),
                func.count(case((same_reference, 1))),
            ).where(or_(same_form, same_reference, of_customer, of_origin))
        ).one()
        return NewBookingGuards(row[0], int(row[1]), int(row[2]), bool(row[3]))

    def add(self, reservation: Reservation) -> None:
        self.session.add(to_entity(reservation))
        self.session.flush()

    def add_order(self, order: Order) -> None:
        """The order and all its lines, in one flush."""
        self.session.add(
            OrderEntity(
                id=order.id,
                reference=order.reference,
                customer_id=order.customer_id,
                manage_token_hash=order.manage_token_hash,
                channel=order.channel.value,
                created_at=order.created_at,
            )
        )
        self.session.add_all([to_entity(line) for line in order.lines])
        self.session.flush()

    def get_order(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """The order with its lines (with `for_update`, the lines' rows locked until the
        transaction ends, as committed now — see get_for_update)."""
        order = self.session.get(OrderEntity, order_id)
        if order is None:
            return None
        query = select(E).where(E.order_id == order_id).order_by(E.line_no)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return order_of(order, list(self.session.scalars(query)))

    def order_id_by_reference(self, reference: str) -> str | None:
        return self.session.scalar(
            select(OrderEntity.id).where(OrderEntity.reference == reference.strip().upper())
        )

    def orders_of_lines(self, reservation_ids: set[str]) -> dict[str, Order]:
        """Line ID → its order, for the lines given (two statements however many)."""
        if not reservation_ids:
            return {}
        order_ids = select(E.order_id).where(E.id.in_(sorted(reservation_ids)))
        orders = {
            o.id: o
            for o in self.session.scalars(select(OrderEntity).where(OrderEntity.id.in_(order_ids)))
        }
        lines: dict[str, list[ReservationEntity]] = {order_id: [] for order_id in orders}
        for e in self.session.scalars(select(E).where(E.order_id.in_(list(orders)))):
            lines[e.order_id].append(e)
        built = {order_id: order_of(orders[order_id], lines[order_id]) for order_id in orders}
        return {
            line.id: order
            for order in built.values()
            for line in order.lines
            if line.id in reservation_ids
        }

    def orders_of_customer(
        self, customer_id: str, statuses: Sequence[ReservationStatus]
    ) -> list[Order]:
        """The customer's orders with a line in one of `statuses`, soonest start first (two
        statements however many orders)."""
        order_ids = (
            select(E.order_id)
            .where(E.customer_id == customer_id, E.status.in_([s.value for s in statuses]))
            .distinct()
        )
        orders = {
            o.id: o
            for o in self.session.scalars(select(OrderEntity).where(OrderEntity.id.in_(order_ids)))
        }
        if not orders:
            return []
        lines: dict[str, list[ReservationEntity]] = {order_id: [] for order_id in orders}
        for e in self.session.scalars(select(E).where(E.order_id.in_(sorted(orders)))):
            lines[e.order_id].append(e)
        built = [order_of(orders[order_id], lines[order_id]) for order_id in orders]
        return sorted(built, key=lambda o: (o.period.start, o.reference))

    def save(self, reservation: Reservation) -> None:
        """Write the reservation back; refused when someone else changed it since it was read
        (the UPDATE is conditional on the version it was read at)."""
        entity = self.session.get(E, reservation.id)
        to_entity(reservation, entity)
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(
                f"Reservation {reservation.reference} was changed at the same moment by "
                "someone else. Reload the page and try again."
            ) from None

    def get(self, reservation_id: str) -> Reservation | None:
        entity = self.session.get(E, reservation_id)
        return to_domain(entity) if entity else None

    def get_for_update(self, reservation_id: str) -> Reservation | None:
        """The reservation as committed now, its row locked until the transaction ends, so
        every transition of one reservation happens one after the other (PostgreSQL: FOR
        UPDATE; SQLite: the unit of work already holds the database's write lock)."""
        entity = self.session.scalar(
            select(E)
            .where(E.id == reservation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return to_domain(entity) if entity else None

    def get_by_reference(self, reference: str) -> Reservation | None:
        entity = self.session.scalar(select(E).where(E.reference == reference.strip().upper()))
        return to_domain(entity) if entity else None

    def references(self, reservation_ids: set[str]) -> dict[str, str]:
        if not reservation_ids:
            return {}
        rows = self.session.execute(select(E.id, E.reference).where(E.id.in_(reservation_ids)))
        return {rid: ref for rid, ref in rows}

    def made_by_form(self, token_hash: str) -> str | None:
        """The ID of the first line of the order made with this form's token (its manage
        token), if any."""
        return self.session.scalar(
            select(E.id).where(E.manage_token_hash == token_hash).order_by(E.line_no).limit(1)
        )

    def reference_exists(self, reference: str) -> bool:
        taken = select(OrderEntity.id).where(OrderEntity.reference == reference)
        return self.session.scalar(select(func.count()).select_from(taken.subquery())) > 0

    def occupancies(
        self,
        equipment_type_id: str,
        window: TimeRange,
        buffer: timedelta,
        now: datetime,
        exclude_id: str | None = None,
        exclude_order_id: str | None = None,
    ) -> list[Occupancy]:
        """Live reservations of the type whose occupied range (period + buffer) meets `window`
        (without one reservation's, or one order's, own). One query on the live rows' index
        (equipment_type_id, end_at, start_at): it starts at the window, so neither history nor
        bookings that ended before it (confirmed, or on hire and overdue — Inventory's
        capacity profile counts an item not back) are read."""
        rows = read_columns(
            self.session,
            _occupancies_statement(bool(exclude_id), bool(exclude_order_id)),
            {
                "type_id": equipment_type_id,
                "after": window.start - buffer,
                "before": window.end,
                "now": now,
                "exclude_id": exclude_id,
                "exclude_order_id": exclude_order_id,
            },
        )
        return [
            Occupancy(TimeRange(start, end + buffer), quantity) for start, end, quantity in rows
        ]

    def occupancies_by_type(
        self, buffers: Mapping[str, timedelta], period: TimeRange, now: datetime
    ) -> dict[str, list[Occupancy]]:
        """`occupancies` for several types at once (each with its own turnaround buffer, the
        keys of `buffers`), in one query: what meets the period widened by the longest buffer,
        so a type with a shorter one gets a few occupancies that lie outside its occupied range
        — the sweep clips them away."""
        if not buffers:
            return {}
        reach = max(buffers.values())
        query = select(E.equipment_type_id, E.start_at, E.end_at, E.quantity).where(
            E.equipment_type_id.in_(list(buffers)),
            E.end_at > period.start - reach,
            E.start_at < period.end + reach,
            _live(now),
        )
        found: dict[str, list[Occupancy]] = {type_id: [] for type_id in buffers}
        for type_id, start, end, quantity in self.session.execute(query):
            found[type_id].append(Occupancy(TimeRange(start, end + buffers[type_id]), quantity))
        return found

    def lock_stale(self, now: datetime, limit: int = 200) -> list[Reservation]:
        """Open reservations nobody confirmed in time (holds that ran out, requests past their
        approval deadline), locked for this transaction. Rows another transaction holds (a customer
        confirming right now) are skipped, not waited for: that transaction decides them, or
        the next run does."""
        query = (
            select(E)
            .where(
                or_(
                    and_(E.status == ReservationStatus.PENDING.value, E.hold_expires_at <= now),
                    # A quote nobody turned into a booking before its start.
                    and_(E.status == ReservationStatus.QUOTED.value, E.start_at <= now),
                    # Reservation.approval_deadline: the start, or the end for whole days
                    # asked for after their first midnight.
                    and_(
                        E.status == ReservationStatus.REQUESTED.value,
                        E.start_at <= now,
                        or_(E.created_at < E.start_at, E.end_at <= now),
                    ),
                )
            )
            .order_by(E.start_at)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if is_postgres(self.session):
            query = query.with_for_update(skip_locked=True)
        return [to_domain(e) for e in self.session.scalars(query)]

    def search(
        self,
        flt: ListReservations,
        page: int,
        page_size: int,
        customer_ids: frozenset[str] = frozenset(),
    ) -> tuple[Sequence[Reservation], int]:
        """`customer_ids`: with `flt.text`, the customers it matched (found by Customers)."""
        conditions = _list_conditions(flt, customer_ids)
        total = self.session.scalar(select(func.count()).select_from(E).where(*conditions)) or 0
        rows = self.session.scalars(
            select(E)
            .where(*conditions)
            .order_by(*_list_order(flt))
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        return [to_domain(e) for e in rows], total

    def stream_lines(
        self, flt: ListReservations, customer_ids: frozenset[str] = frozenset()
    ) -> Iterator[list[tuple[Reservation, str]]]:
        """Every reservation `search` finds (no pages), in its order, with its order's
        reference: a batch of STREAM_BATCH at a time (the CSV export)."""
        statement = (
            select(E, OrderEntity.reference)
            .outerjoin(OrderEntity, OrderEntity.id == E.order_id)
            .where(*_list_conditions(flt, customer_ids))
            .order_by(*_list_order(flt))
        )
        rows = iter(self.session.execute(statement.execution_options(yield_per=STREAM_BATCH)))
        while batch := list(islice(rows, STREAM_BATCH)):
            yield [(to_domain(e), reference or "") for e, reference in batch]

    def stream_orders(
        self, flt: ListReservations, customer_ids: frozenset[str] = frozenset()
    ) -> Iterator[tuple[OrderEntity, list[Reservation]]]:
        """The orders with a reservation `search` finds, the newest first, each with those of
        its lines (read STREAM_BATCH lines at a time; an order's lines come together)."""
        statement = (
            select(OrderEntity, E)
            .join(E, E.order_id == OrderEntity.id)
            .where(*_list_conditions(flt, customer_ids))
            .order_by(OrderEntity.created_at.desc(), OrderEntity.id, E.line_no, E.id)
        )
        rows = self.session.execute(statement.execution_options(yield_per=STREAM_BATCH))
        for _, group in groupby(rows, key=lambda row: row[0].id):
            lines = list(group)
            yield lines[0][0], [to_domain(e) for _, e in lines]

    def with_typed_details(self, customer_id: str) -> list[str]:
        """IDs of the customer's reservations that keep details typed at booking."""
        rows = self.session.scalars(
            select(E.id).where(E.customer_id == customer_id, E.typed_details.is_not(None))
        )
        return list(rows)

    def count_orders_of_customer(self, customer_id: str) -> int:
        """All the customer's orders, whatever became of them (expired holds too)."""
        count = self.session.scalar(
            select(func.count()).where(OrderEntity.customer_id == customer_id)
        )
        return count or 0

    def ids_of_customer(self, customer_id: str) -> list[str]:
        """IDs of all the customer's reservations (any status), in a stable order."""
        return list(
            self.session.scalars(select(E.id).where(E.customer_id == customer_id).order_by(E.id))
        )

    def for_customer(self, customer_id: str) -> list[Reservation]:
        rows = self.session.scalars(
            select(E).where(E.customer_id == customer_id).order_by(E.start_at)
        )
        return [to_domain(e) for e in rows]

    def usage_in(
        self, equipment_type_id: str, window: TimeRange, now: datetime
    ) -> list[Reservation]:
        rows = self.session.scalars(
            select(E)
            .where(
                E.equipment_type_id == equipment_type_id,
                E.end_at > window.start,
                E.start_at < window.end,
                _live(now),
            )
            .order_by(E.start_at)
        )
        return [to_domain(e) for e in rows]


# Rows read per round trip by the CSV exports (stream_lines, stream_orders).
STREAM_BATCH = 500


def _list_conditions(flt: ListReservations, customer_ids: frozenset[str]) -> list[Any]:
    """The WHERE of a list (`ReservationRepository.search`) and of its exports."""
    conditions: list[Any] = []
    if flt.status:
        conditions.append(E.status == flt.status)
    if flt.equipment_type_id:
        conditions.append(E.equipment_type_id == flt.equipment_type_id)
    if flt.customer_id:
        conditions.append(E.customer_id == flt.customer_id)
    if flt.starts_from:
        conditions.append(E.end_at > flt.starts_from)
    if flt.starts_before:
        conditions.append(E.start_at < flt.starts_before)
    if flt.needs_attention:
        # `IS true` as the partial index on flagged lines states it.
        conditions.append(E.needs_attention.is_(True))
    elif flt.needs_attention is not None:
        conditions.append(E.needs_attention == flt.needs_attention)
    if flt.reference:
        conditions.append(E.reference.contains(flt.reference.strip().upper(), autoescape=True))
    if flt.text:
        by_reference = E.reference.contains(flt.text.upper(), autoescape=True)
        by_customer = E.customer_id.in_(sorted(customer_ids)) if customer_ids else false()
        conditions.append(or_(by_reference, by_customer))
    if flt.statuses:
        conditions.append(E.status.in_(flt.statuses))
        if set(flt.statuses) <= set(LIVE_STATUSES):
            conditions.append(_LIVE_ROWS)  # the live rows' indexes may serve it
    if flt.origin_key:
        conditions.append(E.origin_key == flt.origin_key)
    if flt.overdue:
        conditions += [
            E.status == ReservationStatus.ON_HIRE.value,
            E.needs_attention.is_(True),
            E.attention_code == OVERDUE_CODE,
        ]
    if flt.picks_up:
        # A period ends after it starts: the end bound lets the live index by end serve.
        conditions += [
            E.start_at >= flt.picks_up[0],
            E.start_at < flt.picks_up[1],
            E.end_at > flt.picks_up[0],
        ]
    if flt.returns:
        conditions += [E.end_at >= flt.returns[0], E.end_at < flt.returns[1]]
    return conditions


def _list_order(flt: ListReservations) -> tuple[Any, ...]:
    order = (E.created_at, E.id) if flt.oldest_first else (E.start_at.desc(), E.id)
    if flt.overdue or flt.returns:
        order = (E.end_at, E.id)
    if flt.picks_up:
        order = (E.start_at, E.id)
    return order
