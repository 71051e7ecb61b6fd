"""Sign-in throttling: growing delays per (account, IP), a per-IP limit, a per-account pause only
at a high bar, and the admin's unlock. Time is moved by the test (throttle_clock), never slept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rental.shared.throttle import parse_limit
from tests.support.auth import create_staff, csrf_token, login

WRONG = "not the password at all"


def client_from(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def limit_amount(app, setting: str) -> int:
    return parse_limit(app.config[setting]).amount


def test_growing_delays_per_account_and_ip_refuse_even_the_right_password(
    app, admin_user, throttle_clock
):
    free = limit_amount(app, "LOGIN_DELAY_AFTER")
    here = client_from(app, "10.1.0.1")
    assert [login(here, admin_user.email, WRONG).status_code for _ in range(free)] == [422] * free
    for delay in (1, 2, 4, 8):
        refused = login(here, admin_user.email, admin_user.password)  # the right password
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(delay)
        body = refused.get_data(as_text=True)
        assert "Too many failed sign-in attempts for this account from your network" in body
        unit = "second" if delay == 1 else "seconds"
        assert f"Please try again in {delay} {unit}." in body
        assert 'name="password"' in body  # the form is still there
        throttle_clock.advance(delay - 0.001)
        assert login(here, admin_user.email, admin_user.password).status_code == 429
        throttle_clock.advance(0.001)
        assert login(here, admin_user.email, WRONG).status_code == 422
    # Someone else's network is not slowed down by these failures.
    elsewhere = client_from(app, "10.1.0.2")
    assert login(elsewhere, admin_user.email, admin_user.password).status_code == 303
    # After the wait the right password works, and clears this network's failures.
    throttle_clock.advance(16)
    assert login(here, admin_user.email, admin_user.password).status_code == 303
    again = client_from(app, "10.1.0.1")
    assert [login(again, admin_user.email, WRONG).status_code for _ in range(free)] == [422] * free


def test_the_delay_stops_growing_at_the_maximum(app, admin_user, throttle_clock, monkeypatch):
    gate = app.extensions["accounts.login_throttle"]
    monkeypatch.setattr(gate, "limits", replace(gate.limits, max_delay=4))
    here = client_from(app, "10.2.0.1")
    for _ in range(limit_amount(app, "LOGIN_DELAY_AFTER")):
        login(here, admin_user.email, WRONG)
    waits = []
    for _ in range(5):
        waits.append(int(login(here, admin_user.email, WRONG).headers["Retry-After"]))
        throttle_clock.advance(waits[-1])
        assert login(here, admin_user.email, WRONG).status_code == 422
    assert waits == [1, 2, 4, 4, 4]


def test_failures_from_many_networks_pause_the_account_only_at_the_high_bar(
    app, admin_user, throttle_clock
):
    bar = limit_amount(app, "LOGIN_RATE_LIMIT_ACCOUNT")
    per_network = limit_amount(app, "LOGIN_DELAY_AFTER") - 1  # stay below the delays
    assert bar >= 50
    failures = 0
    network = 0
    while failures < bar - 1:
        network += 1
        client = client_from(app, f"10.3.{network}.1")
        for _ in range(min(per_network, bar - 1 - failures)):
            assert login(client, admin_user.email, WRONG).status_code == 422
            failures += 1
    # One short of the bar: the owner still signs in from their own network (which does not
    # count: a successful sign-in gives its place back).
    owner = client_from(app, "192.0.2.10")
    assert login(owner, admin_user.email, admin_user.password).status_code == 303
    assert login(client_from(app, "10.3.200.1"), admin_user.email, WRONG).status_code == 422
    # At the bar the account is paused for everyone, the right password included.
    paused = login(client_from(app, "192.0.2.11"), admin_user.email, admin_user.password)
    assert paused.status_code == 429
    body = paused.get_data(as_text=True)
    assert "signing in to it is paused" in body and "administrator can unlock it" in body
    assert 0 < int(paused.headers["Retry-After"]) <= 3600
    # Other accounts are not affected, and the pause ends with its window.
    other = create_staff("STAFF")
    assert login(client_from(app, "192.0.2.12"), other.email, other.password).status_code == 303
    throttle_clock.advance(int(paused.headers["Retry-After"]))
    assert (
        login(client_from(app, "192.0.2.14"), admin_user.email, admin_user.password).status_code
        == 303
    )


def test_per_ip_limit_with_a_clear_message(app, admin_user):
    amount = limit_amount(app, "LOGIN_RATE_LIMIT_IP")
    client = client_from(app, "10.4.0.1")
    statuses = [
        login(client, f"guess{i}@example.com", WRONG).status_code for i in range(amount + 1)
    ]
    assert statuses == [422] * amount + [429]
    refused = login(client, admin_user.email, admin_user.password)
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts from your network" in refused.get_data(as_text=True)
    # Another address is not affected.
    other = client_from(app, "10.4.0.2")
    assert login(other, admin_user.email, admin_user.password).status_code == 303


def _pause(app, email: str) -> None:
    bar = limit_amount(app, "LOGIN_RATE_LIMIT_ACCOUNT")
    per_network = limit_amount(app, "LOGIN_DELAY_AFTER") - 1
    for n in range(bar):
        login(client_from(app, f"10.5.{n // per_network}.1"), email, WRONG)


def test_an_admin_unlocks_a_paused_account_after_confirming(app, admin_client, staff_user):
    _pause(app, staff_user.email)
    paused = login(client_from(app, "10.6.0.1"), staff_user.email, staff_user.password)
    assert paused.status_code == 429
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "PAUSED" in listing and f"/admin/users/{staff_user.id}/unlock" in listing
    confirm = admin_client.get(f"/admin/users/{staff_user.id}/unlock")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert f"Unlock sign-in for {staff_user.email}?" in text and "PAUSED" in text
    done = admin_client.post(
        f"/admin/users/{staff_user.id}/unlock", data={"csrf_token": csrf_token(admin_client)}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/admin/users"
    assert "Sign-in unlocked for" in admin_client.get("/admin/users").get_data(as_text=True)
    # Also from a network that had failed for this account.
    assert (
        login(client_from(app, "10.5.0.1"), staff_user.email, staff_user.password).status_code
        == 303
    )


def test_unlock_clears_the_growing_delays_of_every_network(app, admin_client, staff_user):
    here = client_from(app, "10.7.0.1")
    for _ in range(limit_amount(app, "LOGIN_DELAY_AFTER") + 1):
        login(here, staff_user.email, WRONG)
    assert login(here, staff_user.email, staff_user.password).status_code == 429
    admin_client.post(
        f"/admin/users/{staff_user.id}/unlock", data={"csrf_token": csrf_token(admin_client)}
    )
    assert login(here, staff_user.email, staff_user.password).status_code == 303


def test_staff_cannot_unlock_and_the_unlock_needs_a_csrf_token(
    app, admin_user, staff_client, admin_client
):
    _pause(app, admin_user.email)
    forbidden = staff_client.post(
        f"/admin/users/{admin_user.id}/unlock", data={"csrf_token": csrf_token(staff_client)}
    )
    assert forbidden.status_code == 403
    assert staff_client.get(f"/admin/users/{admin_user.id}/unlock").status_code == 403
    assert admin_client.post(f"/admin/users/{admin_user.id}/unlock").status_code == 400
    still = login(client_from(app, "10.8.0.1"), admin_user.email, admin_user.password)
    assert still.status_code == 429


def test_unlocking_an_unknown_user_is_a_404(admin_client):
    token = csrf_token(admin_client)
    missing = "00000000-0000-4000-8000-000000000000"
    assert (
        admin_client.post(f"/admin/users/{missing}/unlock", data={"csrf_token": token}).status_code
        == 404
    )


@pytest.mark.parametrize("email", ["Admin@Example.com ", "é" * 300 + "@example.com"])
def test_odd_emails_are_throttled_not_crashed(app, email):
    client = client_from(app, "10.9.0.1")
    assert login(client, email, WRONG).status_code == 422


def test_the_cli_unlocks_when_no_admin_can_sign_in(app, admin_user):
    _pause(app, admin_user.email)
    result = app.test_cli_runner().invoke(args=["accounts", "unlock", "--email", admin_user.email])
    assert result.exit_code == 0, result.output
    assert (
        login(client_from(app, "10.10.0.1"), admin_user.email, admin_user.password).status_code
        == 303
    )
