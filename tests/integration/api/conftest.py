"""The API tests' app with the probe plugin (tests/support/api_probe.py), and tokens."""

from __future__ import annotations

import pytest

from rental.api import ApiFacade
from rental.api.domain.tokens import NewToken
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.conftest import _clean_app, _make_app
from tests.support.api_probe import create_probe_things, things


@pytest.fixture(scope="session")
def _probe_app(database_url, tmp_path_factory):
    app = _make_app(database_url, tmp_path_factory, RENTAL_PLUGINS=["tests.support.api_probe"])
    with app.app_context():
        create_probe_things(db.engine)
    return app


@pytest.fixture
def probe_app(_probe_app):
    """Like `app`, with /api/v1/_probe/* (idempotent creation, domain errors, a crash)."""
    yield from _clean_app(_probe_app)
    with _probe_app.app_context(), db.engine.begin() as conn:
        conn.execute(things.delete())


@pytest.fixture
def probe_client(probe_app):
    return probe_app.test_client()


def make_token(*scopes: str, name: str = "Test program") -> str:
    """A new token's secret (needs an app context)."""
    _, secret = ApiFacade().create_token(NewToken(name, tuple(scopes)), utcnow(), "test")
    db.session.remove()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """An RFC 9457 problem with this status (and type slug)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status and body["detail"] and body["title"]
    if slug:
        assert body["type"] == f"/api/v1/problems/{slug}"
    return body
