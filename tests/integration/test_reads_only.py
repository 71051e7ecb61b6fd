"""Views marked `reads_only` (the catalog, a type's page, the availability answer, the API's
availability) read without a transaction on PostgreSQL: no BEGIN and no ROLLBACK round trip.
What must not change with it: a unit of work inside such a view is still one transaction, the
connection goes back to the pool transactional for the next request, and the marked pages
answer as before."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.orm import Session

from rental.extensions import db
from rental.shared.db import reads_only, unit_of_work
from tests.support.daily import tomorrow
from tests.support.databases import one_connection_engine
from tests.support.fleet import make_category, make_type


def _require_postgres(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite reads cost no round trips: autocommit reads are PostgreSQL's")


def _connection() -> tuple[int, TransactionStatus]:
    """The session's server process and whether a transaction is open on it now."""
    info = db.session.connection().connection.driver_connection.info
    return info.backend_pid, info.transaction_status


def _read() -> tuple[int, TransactionStatus]:
    db.session.execute(text("SELECT 1"))
    return _connection()


def test_a_reads_only_view_reads_outside_a_transaction_and_hands_back_a_transactional_one(
    app, backend
):
    _require_postgres(backend)
    # A pool of one connection, set up as the app's engine is: the second read is bound to
    # get the connection the first one gave back.
    engine = one_connection_engine(db.engine.url.render_as_string(hide_password=False))

    def read() -> tuple[int, TransactionStatus]:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            info = session.connection().connection.driver_connection.info
            return info.backend_pid, info.transaction_status

    try:
        pid, status = reads_only(read)()
        assert status is TransactionStatus.IDLE  # the read committed on its own: nothing open
        again, status = read()
        assert again == pid  # the same pooled connection...
        assert status is TransactionStatus.INTRANS  # ...in a transaction again, unmarked
    finally:
        engine.dispose()


def test_a_unit_of_work_inside_a_reads_only_view_is_still_one_transaction(app, backend):
    _require_postgres(backend)
    insert = text("INSERT INTO cache_generations (name, token) VALUES (:name, 'x')")

    @reads_only
    def view(fail: bool) -> TransactionStatus:
        _read()  # the session already holds a connection in autocommit
        with unit_of_work() as session:
            session.execute(insert, {"name": "first"})
            session.execute(insert, {"name": "second"})
            inside = _connection()[1]
            if fail:
                raise RuntimeError("half-way")
        return inside

    with app.test_request_context("/"), pytest.raises(RuntimeError):
        view(fail=True)
    db.session.remove()
    names = "SELECT name FROM cache_generations WHERE name IN ('first', 'second') ORDER BY name"
    assert db.session.scalars(text(names)).all() == []  # neither row: it all rolled back
    with app.test_request_context("/"):
        assert view(fail=False) is TransactionStatus.INTRANS
    db.session.remove()
    assert db.session.scalars(text(names)).all() == ["first", "second"]


def test_the_marked_pages_answer_on_postgresql(app, backend, client):
    _require_postgres(backend)
    fleet = make_type(units=2, name="Scissor lift", category_id=make_category("Lifts"))
    slug = fleet.slug
    for path in ("/catalog", f"/catalog/{slug}", f"/book/{slug}", "/catalog/kits"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert path == "/catalog/kits" or b"Scissor lift" in answer.data, path
    fragment = client.get(f"/book/{slug}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    day = tomorrow().isoformat()
    period = {"start": f"{day}T10:00", "end": f"{day}T13:30"}
    api = client.get("/api/v1/availability", query_string={"equipment_type": slug, **period})
    assert api.status_code == 200 and api.get_json()["total_capacity"] == 2
