"""Migrations upgrade a fresh database on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect

from rental import create_app
from rental.booking.domain.models import hash_token
from rental.extensions import db
from tests.support.databases import BACKENDS, fresh_database, migrate, postgres_admin_url

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def migrated(backend: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """(URL, app) of a new database brought to the newest revision by the migrations."""
    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        migrate(url)
        yield url, create_app({"SQLALCHEMY_DATABASE_URI": url})


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_database_upgrades_and_flask_db_check_reports_no_drift(backend, tmp_path):
    with migrated(backend, tmp_path) as (url, app):
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_freshly_migrated_database_counts_as_empty_for_the_demo(backend, tmp_path):
    """`make run` loads the demo with `seed-demo --if-empty`: rows the migrations write
    themselves (the reference-cache token, 0032) are not data."""
    from rental.cli import database_is_empty

    with migrated(backend, tmp_path) as (_url, app), app.app_context():
        assert database_is_empty()
        from tests.support.fleet import make_category

        make_category()
        assert not database_is_empty()
        db.session.remove()
        db.engine.dispose()


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


@pytest.mark.parametrize("backend", BACKENDS)
def test_0014_makes_every_booking_a_one_line_order_and_goes_back_down(backend, tmp_path):
    """Bookings made before orders: each becomes an order of one line with the booking's own
    ID, reference, customer, manage token and channel, so every link sent keeps working; the
    downgrade puts the token back on the reservation."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from rental.booking import BookingFacade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    at = "2030-01-01 09:00:00+00:00"
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0013")
            with db.engine.begin() as conn:
                for rid, channel in (("r1", "ONLINE"), ("r2", "STAFF")):
                    conn.execute(
                        text(
                            "INSERT INTO booking_reservations (id, reference, customer_id, "
                            "equipment_type_id, start_at, end_at, quantity, basis, currency, "
                            "total_amount, quote, status, created_at, updated_at, "
                            "manage_token_hash, needs_attention, channel) VALUES (:id, :ref, "
                            ":cid, 't1', :at, :end, 2, 'HOURLY', 'EUR', 10, :quote, 'CONFIRMED', "
                            ":at, :at, :hash, :no, :channel)"
                        ),
                        {
                            "id": rid,
                            "ref": f"RK-OLD{rid.upper()}",
                            "cid": f"c-{rid}",
                            "at": at,
                            "end": "2030-01-01 17:00:00+00:00",
                            "hash": hash_token(f"token-of-{rid}-0123456789"),
                            "no": False,
                            "channel": channel,
                            "quote": QUOTE,
                        },
                    )
            upgrade()
            with db.engine.connect() as conn:
                orders = conn.execute(
                    text(
                        "SELECT id, reference, customer_id, channel FROM booking_orders ORDER BY id"
                    )
                ).all()
                lines = conn.execute(
                    text("SELECT id, order_id, line_no FROM booking_reservations ORDER BY id")
                ).all()
            assert [tuple(row) for row in orders] == [
                ("r1", "RK-OLDR1", "c-r1", "ONLINE"),
                ("r2", "RK-OLDR2", "c-r2", "STAFF"),
            ]
            assert [tuple(row) for row in lines] == [("r1", "r1", 1), ("r2", "r2", 1)]
            with app.test_request_context():
                order = BookingFacade().get_order_for_customer("RK-OLDR1", "token-of-r1-0123456789")
                assert [line.id for line in order.lines] == ["r1"] and order.first.quantity == 2
                db.session.remove()
            downgrade(revision="0013")
            assert "booking_orders" not in inspect(db.engine).get_table_names()
            upgrade()
            db.engine.dispose()


QUOTE = (
    '{"lines": [], "subtotal": {"amount": "10", "currency": "EUR"}, "discounts": [], '
    '"deposit": {"amount": "0", "currency": "EUR"}, "total": {"amount": "10", "currency": "EUR"}}'
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_0015_gives_existing_kits_no_photo_and_goes_back_down(backend, tmp_path):
    """A kit made before kits had photos keeps everything and has no photo (the letter tile);
    the downgrade drops the photo columns and keeps the kit."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    at = "2030-01-01 09:00:00+00:00"
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0014")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO catalog_kits (id, name, slug, description, "
                        "discount_percent, active, created_at, updated_at) VALUES ('k1', "
                        "'Event power kit', 'event-power-kit', '', 10, :yes, :at, :at)"
                    ),
                    {"yes": True, "at": at},
                )
            upgrade()
            with db.engine.connect() as conn:
                row = conn.execute(
                    text("SELECT name, image_key, image_width, image_alt FROM catalog_kits")
                ).one()
            assert tuple(row) == ("Event power kit", None, None, "")
            downgrade(revision="0014")
            columns = {c["name"] for c in inspect(db.engine).get_columns("catalog_kits")}
            assert "image_key" not in columns and "image_alt" not in columns
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT slug FROM catalog_kits")).scalar_one() == (
                    "event-power-kit"
                )
            upgrade()
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0020_adds_the_damage_photos_table_and_goes_back_down(backend, tmp_path):
    """0020 adds payments_damage_photos beside the ledgers (nothing else changes); the
    downgrade drops it, the upgrade adds it again."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0020")
            tables = set(inspect(db.engine).get_table_names())
            assert {"payments_damage_photos", "payments_entries"} <= tables
            downgrade(revision="0019")
            tables = set(inspect(db.engine).get_table_names())
            assert "payments_damage_photos" not in tables and "payments_entries" in tables
            upgrade(revision="0020")
            assert "payments_damage_photos" in inspect(db.engine).get_table_names()
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0021_adds_the_invoice_tables_and_goes_back_down(backend, tmp_path):
    """0021 only adds tables (invoices, credit notes, their counters): down to 0020 drops
    them, up again adds them empty."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0021")
            tables = set(inspect(db.engine).get_table_names())
            assert {"payments_documents", "payments_document_counters"} <= tables
            downgrade(revision="0020")
            tables = set(inspect(db.engine).get_table_names())
            assert not {"payments_documents", "payments_document_counters"} & tables
            assert "payments_policy" in tables
            upgrade(revision="0021")
            db.engine.dispose()


CRM_TABLES = {"crm_rental_history", "crm_loyalty", "crm_clv", "crm_preferences", "crm_consent_log"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_0022_adds_the_crm_tables_and_goes_back_down(backend, tmp_path):
    """0022 only adds CRM's tables (its projections, preferences, consent log): down to 0021
    drops them, up again adds them empty."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0022")
            assert set(inspect(db.engine).get_table_names()) >= CRM_TABLES
            downgrade(revision="0021")
            tables = set(inspect(db.engine).get_table_names())
            assert not CRM_TABLES & tables and "payments_documents" in tables
            upgrade(revision="0022")
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0023_adds_the_loyalty_percentages_and_goes_back_down(backend, tmp_path):
    """0023 adds the shop's two loyalty percentages; a settings row saved before keeps
    everything and reads NULL (the defaults, 5 and 10 %); the downgrade drops the columns."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0022")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO shop_settings (id, name, address, phone, email, "
                        "opening_hours, pickup_rules, terms, updated_at) VALUES (1, "
                        "'Hafen Hire', '', '', '', '{}', '', '', '2030-01-01 09:00:00+00:00')"
                    )
                )
            upgrade(revision="0023")
            with db.engine.connect() as conn:
                row = conn.execute(
                    text(
                        "SELECT name, loyalty_silver_percent, loyalty_gold_percent "
                        "FROM shop_settings"
                    )
                ).one()
            assert tuple(row) == ("Hafen Hire", None, None)
            downgrade(revision="0022")
            columns = {c["name"] for c in inspect(db.engine).get_columns("shop_settings")}
            assert "loyalty_silver_percent" not in columns
            upgrade(revision="0023")
            db.engine.dispose()


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _0024_up(engine) -> None:
    assert "notifications_messages" in _tables(engine)


def _0024_down(engine) -> None:
    tables = _tables(engine)
    assert "notifications_messages" not in tables and "crm_loyalty" in tables


def _0025_up(engine) -> None:
    assert "customer_id" in _columns(engine, "notifications_messages")


def _0025_down(engine) -> None:
    assert "customer_id" not in _columns(engine, "notifications_messages")


def _0026_up(engine) -> None:
    columns = _columns(engine, "notifications_settings")
    assert {"reminders_enabled", "reminder_hours", "return_due_enabled"} <= columns


def _0026_down(engine) -> None:
    tables = _tables(engine)
    assert "notifications_settings" not in tables and "notifications_messages" in tables


def _0027_up(engine) -> None:
    columns = _columns(engine, "calendar_feeds")
    assert {"name", "token_hash", "equipment_type_id", "revoked_at"} <= columns
    uniques = inspect(engine).get_unique_constraints("calendar_feeds")
    assert [u["column_names"] for u in uniques] == [["token_hash"]]


def _0027_down(engine) -> None:
    tables = _tables(engine)
    assert "calendar_feeds" not in tables and "notifications_settings" in tables


# Revisions that only add a table or a column: (revision, the one before, what is there after
# the upgrade, what is there after the downgrade).
ADDITIVE = [
    # 0024 only adds notifications_messages.
    ("0024", "0023", _0024_up, _0024_down),
    # 0025 adds notifications_messages.customer_id (indexed).
    ("0025", "0024", _0025_up, _0025_down),
    # 0026 only adds notifications_settings (no row: the defaults).
    ("0026", "0025", _0026_up, _0026_down),
    # 0027 only adds calendar_feeds (the token's hash unique).
    ("0027", "0026", _0027_up, _0027_down),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("revision", "previous", "after_up", "after_down"), ADDITIVE, ids=[a[0] for a in ADDITIVE]
)
def test_an_additive_revision_goes_up_down_and_up_again(
    backend, tmp_path, revision, previous, after_up, after_down
):
    """Up to `revision`, down to the one before (what it added is gone, the rest stays), up
    again (added again)."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision=revision)
            after_up(db.engine)
            downgrade(revision=previous)
            after_down(db.engine)
            upgrade(revision=revision)
            after_up(db.engine)
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0029_adds_the_webhook_tables_and_goes_back_down(backend, tmp_path):
    """0029 adds webhook_endpoints and webhook_deliveries: down to 0028 drops both, up again
    adds them."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0029")
            columns = {c["name"] for c in inspect(db.engine).get_columns("webhook_deliveries")}
            assert {"message_id", "endpoint_id", "body", "status", "next_attempt_at"} <= columns
            downgrade(revision="0028")
            tables = set(inspect(db.engine).get_table_names())
            assert not {"webhook_endpoints", "webhook_deliveries"} & tables
            assert "api_tokens" in tables
            upgrade(revision="0029")
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0028_adds_the_api_tables_and_goes_back_down(backend, tmp_path):
    """0028 adds api_tokens (the hash unique) and api_idempotency_keys (unique per token and
    key): down to 0027 drops both, up again adds them."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0028")
            inspector = inspect(db.engine)
            columns = {c["name"] for c in inspector.get_columns("api_tokens")}
            assert {"prefix", "token_hash", "scopes", "last_used_at", "revoked_at"} <= columns
            uniques = inspector.get_unique_constraints("api_idempotency_keys")
            assert [u["column_names"] for u in uniques] == [["token_id", "key"]]
            downgrade(revision="0027")
            tables = set(inspect(db.engine).get_table_names())
            assert not {"api_tokens", "api_idempotency_keys"} & tables
            assert "calendar_feeds" in tables
            upgrade(revision="0028")
            db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0030_adds_the_live_reservation_indexes_and_goes_back_down(backend, tmp_path):
    """0030 adds the partial indexes on live reservations (by type and end, by end) and on
    flagged lines: down to 0029 drops them (the old index stays), up again adds them."""
    from flask_migrate import downgrade, upgrade

    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    added = {
        "ix_booking_reservations_live_type_end",
        "ix_booking_reservations_live_end",
        "ix_booking_reservations_attention",
    }

    def indexes() -> set[str]:
        return {i["name"] for i in inspect(db.engine).get_indexes("booking_reservations")}

    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0029")
            assert not added & indexes()
            upgrade(revision="0030")
            assert added <= indexes()
            downgrade(revision="0029")
            assert not added & indexes()
            assert "ix_booking_reservations_type_period" in indexes()
            upgrade(revision="0030")
            assert added <= indexes()
            db.engine.dispose()
