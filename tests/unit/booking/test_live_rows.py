"""The live rows the partial indexes of migration 0030 cover are exactly the statuses that may
hold capacity, and the queries state the migration's own predicate (SQLite uses a partial index
only when the query repeats its WHERE)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite

from rental.booking.domain.models import ReservationStatus
from rental.booking.infrastructure.entities import (
    ATTENTION_PREDICATE,
    LIVE_PREDICATE,
    LIVE_STATUSES,
    ReservationEntity,
)
from rental.booking.infrastructure.repositories import _LIVE_ROWS

MIGRATION = Path(__file__).resolve().parents[3] / "migrations/versions/0030_booking_live_indexes.py"


def _migration():
    spec = importlib.util.spec_from_file_location("m0030", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_live_statuses_are_those_that_may_hold_capacity():
    assert set(LIVE_STATUSES) == {s.value for s in ReservationStatus if s.may_hold_capacity}


def test_the_query_the_entity_and_the_migration_state_one_predicate():
    migration = _migration()
    assert migration._LIVE == LIVE_PREDICATE
    assert migration._ATTENTION == ATTENTION_PREDICATE
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        rendered = str(_LIVE_ROWS.compile(dialect=dialect))
        assert rendered == f"booking_reservations.{LIVE_PREDICATE}"
    flagged = ReservationEntity.needs_attention.is_(True)
    assert str(flagged.compile(dialect=sqlite.dialect())).endswith(ATTENTION_PREDICATE["sqlite"])
    assert str(flagged.compile(dialect=postgresql.dialect())).endswith(
        ATTENTION_PREDICATE["postgresql"]
    )
