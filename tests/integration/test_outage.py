"""A database outage, for real: gunicorn in front of a private PostgreSQL cluster that the test
stops and starts again. While it is down, pages that need the database answer 503 with
Retry-After and a friendly page (htmx requests get the notice), /healthz stays 200 (the
process is alive) and /readyz answers 503; once it is back, the same pages answer 200 again
without restarting anything."""

from __future__ import annotations

import pytest

from tests.support.databases import migrate
from tests.support.http_client import Answer, Browser
from tests.support.private_postgres import NO_SERVER_BINARIES, PrivatePostgres, postgres_bin
from tests.support.processes import free_port, start_web

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster (only the first test needs one; the others run anywhere)."""
    if postgres_bin() is None:
        pytest.skip(NO_SERVER_BINARIES)
    cluster = PrivatePostgres().init()
    cluster.start()
    yield cluster
    cluster.remove()


def _staff_login(database_url: str) -> tuple[str, str]:
    from rental import create_app
    from rental.accounts import AccountsFacade, CreateStaffUser
    from rental.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        AccountsFacade().create_user(
            CreateStaffUser(email="ops@example.com", password="outage drill 2030", role="ADMIN")
        )
        db.engine.dispose()
    return "ops@example.com", "outage drill 2030"


def _unavailable(answer: Answer, htmx: bool = False) -> None:
    assert answer.status == 503, (answer.status, answer.body[:300])
    assert int(answer.headers["Retry-After"]) > 0
    assert "Traceback" not in answer.body and "psycopg" not in answer.body
    assert "We cannot reach our database" in answer.body
    if htmx:
        assert answer.headers["HX-Retarget"] == "#notifications" and "<html" not in answer.body
    else:
        assert "Temporarily unavailable" in answer.body and "<html" in answer.body
        assert ">Try again</a>" in answer.body


def test_a_database_outage_is_a_503_and_the_site_recovers_by_itself(cluster, tmp_path):
    url = cluster.create_database("rental")
    migrate(url)
    email, password = _staff_login(url)
    port = free_port()
    web = start_web(url, port, tmp_path, workers=2)
    try:
        visitor, staff = Browser(f"http://127.0.0.1:{port}"), Browser(f"http://127.0.0.1:{port}")
        signed_in = staff.open(
            "/login", {"email": email, "password": password, "csrf_token": staff.csrf()}
        )
        assert signed_in.status == 303
        token = visitor.csrf()
        assert visitor.open("/catalog").status == 200
        assert staff.open("/admin/reservations/").status == 200
        assert visitor.open("/readyz").status == 200

        cluster.stop()
        for _ in range(4):  # both gunicorn workers, pooled connections now dead
            _unavailable(visitor.open("/catalog"))
            _unavailable(visitor.open("/catalog", headers={"HX-Request": "true"}), htmx=True)
            _unavailable(staff.open("/admin/reservations/"))  # loading the signed-in user fails
            login = visitor.open(
                "/login", {"email": "x@example.com", "password": "p" * 12, "csrf_token": token}
            )
            _unavailable(login)
            assert "may not have been saved" in login.body
            health = visitor.open("/healthz")
            assert health.status == 200 and '"ok"' in health.body
            ready = visitor.open("/readyz")
            assert ready.status == 503 and int(ready.headers["Retry-After"]) > 0

        cluster.start()
        for _ in range(4):
            assert visitor.open("/catalog").status == 200
            assert staff.open("/admin/reservations/").status == 200  # still signed in
            assert visitor.open("/readyz").status == 200
    finally:
        web.stop()
    log = web.log()
    assert "Database unavailable on GET /catalog" in log
    assert "Traceback" not in log, log[-3000:]


def test_connections_the_server_cut_while_pooled_are_replaced_before_a_visitor_sees_them(
    cluster, tmp_path
):
    """The server restarts between two requests, with nobody asking in between: the one web
    worker's pooled connection is dead, and the next visitor still gets the page (the pool
    notices at checkout; rental.shared.db._replace_if_dropped), as do the pages after it."""
    url = cluster.create_database("rental")
    migrate(url)
    port = free_port()
    web = start_web(url, port, tmp_path, workers=1)  # one worker: it holds the connection
    try:
        visitor = Browser(f"http://127.0.0.1:{port}")
        assert visitor.open("/catalog").status == 200  # the worker now pools a connection
        assert visitor.open("/readyz").status == 200
        cluster.stop()
        cluster.start()
        for path in ("/catalog", "/readyz", "/catalog/nothing-here", "/catalog"):
            answer = visitor.open(path)
            assert answer.status == (404 if "nothing" in path else 200), (path, answer.body[:300])
    finally:
        web.stop()
    assert "Database unavailable" not in web.log()


# --- which database errors are an outage --------------------------------------------------------


def test_an_unreachable_sqlite_file_is_an_outage_too(tmp_path):
    from rental import create_app

    missing = tmp_path / "gone" / "rental.db"  # the folder does not exist: SQLite cannot open
    client = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"}).test_client()
    response = client.get("/catalog")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


@pytest.mark.parametrize(
    ("message", "outage"),
    [
        ("unable to open database file", True),
        ("database is locked", True),
        ("disk I/O error", True),
        ("no such table: catalog_categories", False),
        ('near "SELEC": syntax error', False),
    ],
)
def test_sqlite_errors_are_told_apart(message, outage):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from rental.shared.db import is_outage

    assert is_outage(OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))) is outage


def test_postgres_connection_errors_and_pool_timeouts_are_outages_bugs_are_not():
    import psycopg
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, TimeoutError

    from rental.shared.db import is_outage

    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert is_outage(OperationalError("SELECT 1", {}, refused))
    assert is_outage(TimeoutError("QueuePool limit reached"))
    assert not is_outage(ProgrammingError("SELEC", {}, psycopg.ProgrammingError("syntax")))
    assert not is_outage(IntegrityError("INSERT", {}, psycopg.IntegrityError("duplicate")))
    assert not is_outage(ValueError("not a database error"))
