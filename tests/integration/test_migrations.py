"""Migrations upgrade a fresh database on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from rental import create_app
from rental.extensions import db
from tests.support.databases import BACKENDS, fresh_database, migrate, postgres_admin_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_database_upgrades_and_flask_db_check_reports_no_drift(backend, tmp_path):
    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            tables = set(inspect(db.engine).get_table_names())
            assert {t.name for t in db.metadata.sorted_tables} <= tables
            db.engine.dispose()
        # The real command, as a developer would run it.
        result = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "check"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No new upgrade operations detected" in result.stdout


def test_naming_convention_names_every_constraint(app):
    for table in db.metadata.sorted_tables:
        assert table.primary_key.name == f"pk_{table.name}"
        for index in table.indexes:
            assert index.name and index.name.startswith("ix_")


@pytest.mark.parametrize("backend", BACKENDS)
def test_0009_keeps_existing_bookings_and_goes_back_down(backend, tmp_path):
    """A booking made before 0009: nothing typed is kept and the e-mail counts as not known;
    the downgrade drops the two columns and the upgrade adds them again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0008")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO booking_reservations (id, reference, customer_id, "
                        "equipment_type_id, start_at, end_at, quantity, basis, currency, "
                        "total_amount, quote, status, created_at, updated_at, "
                        "manage_token_hash, needs_attention) VALUES ('r1', 'RK-OLD234', 'c1', "
                        "'t1', :at, :at, 1, 'HOURLY', 'EUR', 10, '{}', 'CONFIRMED', :at, :at, "
                        ":hash, :no)"
                    ),
                    {"at": "2030-01-01 09:00:00+00:00", "hash": "x" * 64, "no": False},
                )
            upgrade()
            with db.engine.connect() as conn:
                row = conn.execute(
                    text("SELECT customer_known, typed_details FROM booking_reservations")
                ).one()
            assert not row[0] and row[1] is None
            downgrade(revision="0008")
            columns = {c["name"] for c in inspect(db.engine).get_columns("booking_reservations")}
            assert not {"customer_known", "typed_details"} & columns
            upgrade()
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0010_puts_confirmed_bookings_with_equipment_out_on_hire_and_goes_back_down(
    backend, tmp_path
):
    """Before 0012 a booking on hire said CONFIRMED with its items PICKED_UP: it becomes
    ON_HIRE (issue 11); one with its items only allocated stays CONFIRMED. The downgrade
    makes it CONFIRMED again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    at = "2030-01-01 09:00:00+00:00"
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0011")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO inventory_items (id, serial_number, equipment_type_id, "
                        "status, notes, location, created_at, updated_at) VALUES "
                        "('i1', 'GEN-1', 't1', 'ALLOCATED', '', '', :at, :at)"
                    ),
                    {"at": at},
                )
                for rid, allocation in (("out", "PICKED_UP"), ("waiting", "ALLOCATED")):
                    conn.execute(
                        text(
                            "INSERT INTO booking_reservations (id, reference, customer_id, "
                            "equipment_type_id, start_at, end_at, quantity, basis, currency, "
                            "total_amount, quote, status, created_at, updated_at, "
                            "manage_token_hash, needs_attention) VALUES (:id, :ref, 'c1', "
                            "'t1', :at, :at, 1, 'HOURLY', 'EUR', 10, '{}', 'CONFIRMED', :at, "
                            ":at, :hash, :no)"
                        ),
                        {
                            "id": rid,
                            "ref": f"RK-{rid[:6].upper()}",
                            "at": at,
                            "hash": (rid * 10)[:64],
                            "no": False,
                        },
                    )
                    conn.execute(
                        text(
                            "INSERT INTO inventory_allocations (id, item_id, reservation_id, "
                            "starts_at, ends_at, status, created_at, updated_at) VALUES "
                            "(:id, 'i1', :rid, :at, :at, :status, :at, :at)"
                        ),
                        {"id": f"a-{rid}", "rid": rid, "at": at, "status": allocation},
                    )

            def statuses() -> dict[str, str]:
                with db.engine.connect() as conn:
                    rows = conn.execute(text("SELECT id, status FROM booking_reservations"))
                    return dict(rows.all())

            upgrade()
            assert statuses() == {"out": "ON_HIRE", "waiting": "CONFIRMED"}
            downgrade(revision="0011")
            assert statuses() == {"out": "CONFIRMED", "waiting": "CONFIRMED"}
            upgrade()
            db.engine.dispose()
