"""/admin/api-tokens on SQLite and PostgreSQL: administrators only (staff 403, anonymous to
the login); a token is shown once and only its SHA-256 is stored; errors next to the field
and nothing created; revoking asks first, needs the CSRF token, and the token stops working."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from rental.api.infrastructure.entities import ApiTokenEntity
from rental.extensions import db
from tests.integration.api.conftest import assert_problem, bearer
from tests.support.auth import csrf_token

PAGE = "/admin/api-tokens"


def create(client, name: str, scopes=("read",)):
    token = csrf_token(client, PAGE)
    return client.post(PAGE, data={"csrf_token": token, "name": name, "scopes": list(scopes)})


def rows() -> list[ApiTokenEntity]:
    found = list(db.session.scalars(select(ApiTokenEntity)))
    db.session.rollback()
    return found


def shown_token(response) -> str:
    match = re.search(
        r'id="new-token-value" readonly value="(rk_live_[^"]+)"', response.get_data(as_text=True)
    )
    assert match, response.get_data(as_text=True)
    return match.group(1)


def test_only_administrators_see_the_page(app, client, staff_client, admin_client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert staff_client.get(PAGE).status_code == 403
    token = csrf_token(staff_client, "/admin/")
    assert (
        staff_client.post(
            PAGE, data={"csrf_token": token, "name": "x", "scopes": "read"}
        ).status_code
        == 403
    )
    assert rows() == []
    page = admin_client.get(PAGE)
    assert page.status_code == 200 and "No API tokens yet" in page.get_data(as_text=True)
    assert 'href="/admin/api-tokens"' in admin_client.get("/admin/").get_data(as_text=True)


def test_a_token_is_shown_once_and_only_its_hash_is_kept(app, admin_client, client):
    response = create(admin_client, "Website", scopes=("read", "orders:write"))
    assert response.status_code == 201
    secret = shown_token(response)
    (row,) = rows()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.name, row.prefix, row.scopes, row.token_hash}
    assert row.prefix == secret[:12] and row.scopes == "read orders:write"
    listing = admin_client.get(PAGE).get_data(as_text=True)
    assert secret not in listing and f"{row.prefix}…" in listing and "never" in listing
    assert client.get("/api/v1/tokens/current", headers=bearer(secret)).status_code == 200


def test_errors_are_shown_next_to_the_fields_and_nothing_is_created(app, admin_client):
    response = create(admin_client, "  ", scopes=())
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="name-error"' in body and 'id="scopes-error"' in body
    assert "Choose at least one scope." in body
    response = create(admin_client, "Website", scopes=("superuser",))
    assert response.status_code == 422 and 'id="scopes-error"' in response.get_data(as_text=True)
    assert rows() == []


def test_revoking_asks_first_needs_csrf_and_then_the_token_stops_working(app, admin_client, client):
    secret = shown_token(create(admin_client, "Old"))
    (row,) = rows()
    confirm = admin_client.get(f"{PAGE}/{row.id}/revoke")
    assert confirm.status_code == 200 and "Revoke the token “Old”?" in confirm.get_data(
        as_text=True
    )
    assert admin_client.post(f"{PAGE}/{row.id}/revoke").status_code == 400  # no CSRF token
    assert rows()[0].revoked_at is None
    token = csrf_token(admin_client, f"{PAGE}/{row.id}/revoke")
    response = admin_client.post(f"{PAGE}/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    assert rows()[0].revoked_at is not None
    assert_problem(client.get("/api/v1/tokens/current", headers=bearer(secret)), 401)
    assert "revoked" in admin_client.get(PAGE).get_data(as_text=True)
    assert admin_client.get(f"{PAGE}/nope/revoke").status_code == 404
