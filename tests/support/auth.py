"""Staff users and signed-in clients for tests of admin pages.

In tests (fixtures in tests/conftest.py and tests/e2e/conftest.py):
    admin_client / staff_client   Flask test clients signed in through the real /login form
    csrf_token(client)            the token to send with a POST (`data={"csrf_token": ...}`)
    admin_page / staff_page       (e2e) a Playwright page signed in on the live server
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask.testing import FlaskClient

from rental.accounts import AccountsFacade, CreateStaffUser

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


@dataclass(frozen=True)
class StaffLogin:
    id: str
    email: str
    password: str
    role: str


def create_staff(role: str = "STAFF", email: str | None = None) -> StaffLogin:
    """A new active staff user (needs an app context on the target database)."""
    email = email or f"{role.lower()}-{secrets.token_hex(4)}@example.com"
    password = "correct horse " + secrets.token_hex(6)
    user_id = AccountsFacade().create_user(
        CreateStaffUser(email=email, password=password, role=role)
    )
    return StaffLogin(user_id, email, password, role)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    body = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(body)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def without_csrf_tokens(body: str) -> str:
    """`body` with its CSRF tokens masked: they are signed with the time (to the second), so
    the same page asked for twice differs there and nowhere else."""
    return _TOKEN.sub("CSRF-TOKEN", body)


def login(client: FlaskClient, email: str, password: str, next_path: str | None = None):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client, "/login")}
    if next_path:
        data["next"] = next_path
    return client.post("/login", data=data)


def sign_in(client: FlaskClient, user: StaffLogin) -> FlaskClient:
    response = login(client, user.email, user.password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
