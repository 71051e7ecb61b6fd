"""Migration 0033's partial index covers exactly the allocations of items out with a customer,
and the queries that ask state its predicate literally (SQLite uses a partial index only when
the query repeats its WHERE)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite

from rental.inventory.domain.models import AllocationStatus
from rental.inventory.infrastructure.entities import OUT_PREDICATE, AllocationEntity
from rental.inventory.infrastructure.repositories import _fleet_statement

MIGRATION = (
    Path(__file__).resolve().parents[3] / "migrations/versions/0033_allocations_out_index.py"
)


def test_the_predicate_is_the_picked_up_status():
    assert f"status = '{AllocationStatus.PICKED_UP.value}'" == OUT_PREDICATE


def test_the_entity_the_migration_and_the_fleet_query_state_one_predicate():
    spec = importlib.util.spec_from_file_location("m0033", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OUT_PREDICATE == OUT_PREDICATE
    (index,) = [i for i in AllocationEntity.__table__.indexes if i.name.endswith("_out")]
    assert str(index.dialect_options["sqlite"]["where"]) == OUT_PREDICATE
    assert str(index.dialect_options["postgresql"]["where"]) == OUT_PREDICATE
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        rendered = str(_fleet_statement().compile(dialect=dialect))
        assert f"inventory_allocations.{OUT_PREDICATE}" in rendered
