"""End-to-end fixtures: the real web server (gunicorn) and worker on a migrated database,
driven by Playwright in Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.support.auth import StaffLogin, create_staff
from tests.support.databases import BACKENDS, fresh_database, migrate, postgres_admin_url, wipe
from tests.support.processes import Proc, free_port, start_web, start_worker

# Page assertions wait up to 15 s for their condition (Playwright's default is 5 s): browser,
# gunicorn, worker and PostgreSQL share a small, busy machine. A condition met sooner returns
# at once, so this costs nothing when things are quick.
expect.set_options(timeout=15_000)
# Webhooks may go to the tests' local receivers (the SSRF guard's test switch), and the worker
# looks for due deliveries every half second (default 2).
E2E_ENV = {
    "RENTAL_PLUGINS": "tests.support.probe",
    "OUTBOX_POLL_SECONDS": "0.5",
    "WEBHOOKS_ALLOW_PRIVATE": "1",
    "WEBHOOKS_POLL_SECONDS": "0.5",
}


@dataclass
class LiveServer:
    url: str
    database_url: str
    app: Flask  # in-process app on the same database, to arrange data and check results
    web: Proc
    worker: Proc | None = None

    def start_worker(self, logs_dir) -> Proc:
        if self.worker is None or self.worker.popen.poll() is not None:
            self.worker = start_worker(self.database_url, logs_dir, name="e2e-worker", **E2E_ENV)
        return self.worker

    def wipe(self) -> None:
        """Empty the database for the next test. The worker is stopped first (it is started
        again on demand): its batches do not pass the request gate, so nothing of it may run
        during the TRUNCATE. On PostgreSQL the wipe then waits at the gate for the web
        process's requests in flight and holds new ones back until it has committed (see
        tests/support/request_gate.py): no deadlock with a browser's last request."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        wipe(self.app)
        for path in Path(self.app.config["UPLOADS_DIR"]).glob("*"):
            path.unlink()


@pytest.fixture(scope="session", params=BACKENDS)
def _live(request, tmp_path_factory, logs_dir) -> Iterator[LiveServer]:
    """The real web (and, on demand, worker) processes on SQLite, and on PostgreSQL too when
    RENTAL_TEST_POSTGRES_URL is set: the browser tests run against both."""
    from rental import create_app

    if request.param == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL tests need RENTAL_TEST_POSTGRES_URL (set by .ci/run)")
    with fresh_database(request.param, tmp_path_factory.mktemp("e2e")) as url:
        migrate(url)
        port = free_port()
        # Uploaded photos of the test database: shared by the web process and the app below.
        uploads = str(tmp_path_factory.mktemp("e2e-uploads"))
        web = start_web(url, port, logs_dir, **E2E_ENV, UPLOADS_DIR=uploads)
        # Demo credentials of the test database go to a temporary file, never over the
        # developer's instance/demo-admin.txt.
        credentials = tmp_path_factory.mktemp("e2e-instance") / "demo-admin.txt"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "RENTAL_PLUGINS": [],
                "DEMO_CREDENTIALS_FILE": str(credentials),
                "UPLOADS_DIR": uploads,
            }
        )
        server = LiveServer(f"http://127.0.0.1:{port}", url, app, web)
        try:
            yield server
        finally:
            if server.worker:
                server.worker.stop()
            web.stop()


@pytest.fixture
def live_server(_live: LiveServer) -> Iterator[LiveServer]:
    """The running app on an empty database; the data is wiped after each test."""
    yield _live
    _live.wipe()


@pytest.fixture(scope="session")
def base_url(_live: LiveServer) -> str:
    return _live.url


# --- signed-in browser pages ------------------------------------------------------------------


def sign_in_page(page, live: LiveServer, role: str = "ADMIN") -> StaffLogin:
    """Create a staff user in the live database and sign `page` in through /login."""
    with live.app.app_context():
        user = create_staff(role)
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/admin/")
    return user


@pytest.fixture
def admin_page(page, live_server):
    """A Playwright page signed in as an ADMIN on the live server (`.staff`: the user)."""
    page.staff = sign_in_page(page, live_server, "ADMIN")
    return page


@pytest.fixture
def staff_page(page, live_server):
    """A Playwright page signed in as a (non-admin) STAFF user on the live server."""
    page.staff = sign_in_page(page, live_server, "STAFF")
    return page
