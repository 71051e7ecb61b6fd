"""API tokens at work on SQLite and PostgreSQL: the bearer token is the only way in (a staff
browser session is anonymous, so CSRF cannot matter), a bad or revoked token is a 401 with
WWW-Authenticate, a missing scope a 403 naming it, `admin` implies the other scopes, and
last_used_at is written at most once a minute."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from rental.api import ApiFacade
from rental.api.infrastructure.entities import ApiTokenEntity
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.api_probe import count_things
from tests.support.auth import create_staff, sign_in

CURRENT = "/api/v1/tokens/current"


def last_used(prefix: str):
    value = db.session.scalar(
        select(ApiTokenEntity.last_used_at).where(ApiTokenEntity.prefix == prefix)
    )
    db.session.rollback()
    return value


def test_without_a_token_or_with_a_bad_one_it_is_401(app, client):
    for headers in (
        {},
        bearer("rk_live_nonsense"),
        bearer("x" * 5000),
        {"Authorization": "Basic abc"},
    ):
        response = client.get(CURRENT, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_read_token_reads_itself_and_is_marked_used_once_a_minute(app, client):
    secret = make_token("read", name="Website")
    response = client.get(CURRENT, headers=bearer(secret))
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Website" and body["scopes"] == ["read"]
    assert body["prefix"] == secret[:12] + "…"
    first = last_used(secret[:12])
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    client.get(CURRENT, headers=bearer(secret))
    assert last_used(secret[:12]) == first  # not written again within the minute
    db.session.execute(update(ApiTokenEntity).values(last_used_at=first - timedelta(minutes=2)))
    db.session.commit()
    client.get(CURRENT, headers=bearer(secret))
    assert last_used(secret[:12]) > first - timedelta(minutes=2)


def test_admin_implies_every_scope_and_a_missing_scope_is_403(probe_app, probe_client):
    admin = make_token("admin")
    body = probe_client.get(CURRENT, headers=bearer(admin)).get_json()
    assert body["effective_scopes"] == ["admin", "orders:write", "read"]
    writer = make_token("orders:write")
    problem = assert_problem(probe_client.get(CURRENT, headers=bearer(writer)), 403, "forbidden")
    assert "`read`" in problem["detail"] and problem["scope"] == "read"
    reader = make_token("read")
    response = probe_client.post(
        "/api/v1/_probe/things", json={"label": "a"}, headers=bearer(reader)
    )
    assert "orders:write" in assert_problem(response, 403)["detail"]
    response = probe_client.post(
        "/api/v1/_probe/things", json={"label": "a"}, headers=bearer(admin)
    )
    assert response.status_code == 201
    assert count_things() == 1


def test_a_revoked_token_is_refused(app, client):
    secret = make_token("read")
    (token,) = ApiFacade().list_tokens()
    ApiFacade().revoke_token(token.id, utcnow())
    db.session.remove()
    assert_problem(client.get(CURRENT, headers=bearer(secret)), 401)


def test_a_staff_browser_session_is_anonymous_to_the_api(probe_app):
    """The API never reads the session cookie: a signed-in admin's browser, without a token,
    is refused (401) on a write endpoint even without any CSRF token, and nothing is written;
    reads that need a token are refused too."""
    cookie_client = sign_in(probe_app.test_client(), create_staff("ADMIN"))
    response = cookie_client.post("/api/v1/_probe/things", json={"label": "from a cookie"})
    assert_problem(response, 401)
    assert count_things() == 0
    assert_problem(cookie_client.get(CURRENT), 401)
    assert "Set-Cookie" not in response.headers
