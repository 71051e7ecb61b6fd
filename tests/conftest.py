"""Fixtures shared by the whole suite: real databases (SQLite always, PostgreSQL when
RENTAL_TEST_POSTGRES_URL is set), the app bound to them, and the browser set-up."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from tests.support.auth import StaffLogin, create_staff, sign_in
from tests.support.databases import BACKENDS, fresh_database, migrate, postgres_admin_url, wipe
from tests.support.throttle import FakeClock

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(config, items) -> None:
    """Every test under tests/e2e/ is an `e2e` test, so `-m e2e` / `-m "not e2e"` select by it.
    (A `pytestmark` in a conftest.py would be ignored: pytest reads it only in test modules.)"""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


def _skip_without_postgres(backend: str) -> None:
    if backend == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated database per backend, shared by the tests of that backend."""
    _skip_without_postgres(request.param)
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production. Without this, requests made while
    a test holds the app context share `g` — and with it Flask-Login's cached user and
    Flask-WTF's cached CSRF token — across clients and requests. Afterwards the test's own
    session is ended, so what the test reads next includes what the request committed."""

    def open(self, *args, **kwargs):
        from rental.extensions import db

        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.remove()
        return response


# Cheap Argon2 parameters for tests only (production uses argon2-cffi's RFC 9106 profile).
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}


def _make_app(database_url: str, tmp_path_factory, **config) -> Flask:
    from rental import create_app

    credentials = tmp_path_factory.mktemp("instance") / "demo-admin.txt"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "DEMO_CREDENTIALS_FILE": str(credentials),
            "UPLOADS_DIR": str(tmp_path_factory.mktemp("uploads")),
            "MAIL_FILE_PATH": str(tmp_path_factory.mktemp("mail")),  # not the repo's instance/
            **FAST_HASHING,
            **config,
        }
    )
    app.test_client_class = IsolatedClient
    return app


def _clean_app(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
    wipe(app)
    for path in Path(app.config["UPLOADS_DIR"]).glob("*"):  # uploaded photos go with the rows
        path.unlink()
    with app.app_context():
        app.extensions["throttle"].store.reset()  # rate limits start afresh (any store)


@pytest.fixture(scope="session")
def _app(database_url: str, tmp_path_factory) -> Flask:
    return _make_app(database_url, tmp_path_factory)


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app on a clean database (every table emptied after the test), inside an app context."""
    yield from _clean_app(_app)


@pytest.fixture(scope="session")
def _berlin_app(database_url: str, tmp_path_factory) -> Flask:
    # The DST tests book around the next clock changes, up to ~370 days ahead.
    return _make_app(
        database_url,
        tmp_path_factory,
        BUSINESS_TIMEZONE="Europe/Berlin",
        BOOKING_HORIZON_DAYS=400,
    )


@pytest.fixture
def berlin_app(_berlin_app: Flask) -> Iterator[Flask]:
    """Like `app`, with BUSINESS_TIMEZONE=Europe/Berlin (daylight-saving time)."""
    yield from _clean_app(_berlin_app)


@pytest.fixture(scope="session")
def _utc_app(database_url: str, tmp_path_factory) -> Flask:
    # The same dates as the Berlin tests, with no clock changes: the control.
    return _make_app(
        database_url, tmp_path_factory, BUSINESS_TIMEZONE="UTC", BOOKING_HORIZON_DAYS=400
    )


@pytest.fixture
def utc_app(_utc_app: Flask) -> Iterator[Flask]:
    """Like `berlin_app`, with BUSINESS_TIMEZONE=UTC stated (no daylight-saving time)."""
    yield from _clean_app(_utc_app)


@pytest.fixture
def throttle_clock(app: Flask) -> Iterator[FakeClock]:
    """The rate limits' clock, moved by the test (`throttle_clock.advance(60)`), not by sleeping."""
    throttle = app.extensions["throttle"]
    original, throttle.clock = throttle.clock, FakeClock(1_900_000_000.0)
    yield throttle.clock
    throttle.clock = original


@pytest.fixture
def backend(app: Flask) -> str:
    from rental.extensions import db

    return db.engine.dialect.name


@pytest.fixture
def client(app: Flask):
    return app.test_client()


# --- signed-in staff (see tests/support/auth.py) ----------------------------------------------


@pytest.fixture
def admin_user(app: Flask) -> StaffLogin:
    return create_staff("ADMIN")


@pytest.fixture
def staff_user(app: Flask) -> StaffLogin:
    return create_staff("STAFF")


@pytest.fixture
def admin_client(app: Flask, admin_user: StaffLogin):
    """A test client signed in as an ADMIN through the real login form."""
    return sign_in(app.test_client(), admin_user)


@pytest.fixture
def staff_client(app: Flask, staff_user: StaffLogin):
    """A test client signed in as a (non-admin) STAFF user through the real login form."""
    return sign_in(app.test_client(), staff_user)


# --- browser ----------------------------------------------------------------------------------


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "No Chromium for the end-to-end tests: run `make test` (installs Debian's chromium "
            "as root) or set CHROMIUM_PATH.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")
