"""Real test databases: a fresh SQLite file, or a fresh PostgreSQL database created from
RENTAL_TEST_POSTGRES_URL and dropped afterwards. Both are migrated with the real migrations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.support import request_gate

POSTGRES_ENV = "RENTAL_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def fresh_database(
    backend: str, tmp_dir: Path, *, prefix: str = "rental_test", admin_url: str | None = None
) -> Iterator[str]:
    """Yield the URL of a new, empty database of `backend`; remove it afterwards. PostgreSQL:
    named `<prefix>_<random>`, created through `admin_url` (default: RENTAL_TEST_POSTGRES_URL)."""
    if backend == "sqlite":
        path = tmp_dir / f"rental-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    admin_url = admin_url or postgres_admin_url()
    assert admin_url, f"{POSTGRES_ENV} is not set"
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def one_connection_engine(database_url: str) -> Engine:
    """An engine set up as the app's (its options and `configure_engine`), with a pool of one
    connection: every checkout gets the connection the last one gave back. Dispose of it."""
    from rental.config import engine_options
    from rental.shared.db import configure_engine

    engine = create_engine(
        database_url, pool_size=1, max_overflow=0, **engine_options(database_url)
    )
    configure_engine(engine)
    return engine


def migrate(database_url: str) -> None:
    """Run the real Alembic migrations (what `flask db upgrade` does) on `database_url`."""
    from flask_migrate import upgrade

    from rental import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        from rental.extensions import db

        db.engine.dispose()


def wipe(app) -> None:
    """Delete every row of every table (between tests), keeping the schema."""
    from rental.extensions import db

    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        extra = [t for t in _extra_tables(db) if t not in tables]
        if db.engine.dialect.name == "postgresql":
            _empty_tables(db.engine, extra + tables)
            db.session.remove()
            return
        with db.engine.begin() as conn:
            for table in extra + tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            has_seq = conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first()
            if has_seq:
                conn.execute(text("DELETE FROM sqlite_sequence"))
        db.session.remove()


def _empty_tables(engine, tables: list[str]) -> None:
    """TRUNCATE the tables that hold rows, then every sequence back to 1 (what TRUNCATE …
    RESTART IDENTITY of all of them did). A test fills a handful of the ~40 tables, and
    TRUNCATE gives each table it names and their indexes new files: 150–700 ms a test for all
    of them against a few ms for the few that were used. TRUNCATE rather than DELETE keeps the
    next test's heap fresh, so rows come back in insertion order as before. A request still in
    flight from a live server (a browser's last htmx call) could deadlock with the wipe; the
    request gate (see tests/support/request_gate.py) rules that out: this runs only once no
    request is in flight, and new ones wait until it has committed."""
    probe = " UNION ALL ".join(
        f'SELECT \'{t}\' FROM (SELECT 1 FROM "{t}" LIMIT 1) AS "{t}"' for t in tables
    )
    with request_gate.closed(engine), engine.begin() as conn:
        # A transaction a test forgot open would block the wipe forever: fail instead.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        used = list(conn.exec_driver_sql(probe).scalars())
        if used:
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in used) + " CASCADE")
        conn.exec_driver_sql("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'")


def _extra_tables(db) -> list[str]:
    from sqlalchemy import inspect

    present = set(inspect(db.engine).get_table_names())
    return [t for t in ("probe_deliveries",) if t in present]
