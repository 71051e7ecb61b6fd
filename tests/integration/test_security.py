"""The security baseline, proved route by route. Routes are enumerated from app.url_map, so
admin pages added by any module are covered without listing them here."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from rental.accounts import AccountsFacade
from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from tests.support.auth import create_staff, csrf_token, login, sign_in

DUMMY_ID = "00000000-0000-4000-8000-000000000000"
NOT_FORMS = {"static"}


def _build(app: Flask, rule: Rule) -> str:
    values = {
        arg: 1 if isinstance(rule._converters.get(arg), IntegerConverter) else DUMMY_ID
        for arg in rule.arguments
    }
    if rule.endpoint == "static":
        values = {"filename": "css/app.css"}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def _rules(app: Flask, method: str, admin: bool | None = None) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or ()):
            continue
        is_admin = rule.rule == "/admin" or rule.rule.startswith("/admin/")
        if admin is not None and is_admin != admin:
            continue
        found.append((rule.endpoint, _build(app, rule)))
    return sorted(found)


def _admin_only(app: Flask, endpoint: str) -> bool:
    return bool(getattr(app.view_functions[endpoint], "admin_only", False))


def test_the_route_enumeration_finds_the_admin_pages(app):
    endpoints = {e for e, _ in _rules(app, "GET", admin=True) + _rules(app, "POST", admin=True)}
    assert {
        "admin.dashboard",
        "customers.index",
        "customers.anonymise",
        "accounts.users",
    } <= endpoints
    assert _admin_only(app, "accounts.users") and _admin_only(app, "customers.anonymise")


# --- /admin refuses anonymous visitors ------------------------------------------------------


def test_every_admin_get_route_redirects_anonymous_visitors_to_login_and_back(app, client):
    for endpoint, url in _rules(app, "GET", admin=True):
        response = client.get(url)
        assert response.status_code == 302, endpoint
        target = urlsplit(response.headers["Location"])
        assert target.path == "/login", endpoint
        assert parse_qs(target.query)["next"] == [url], endpoint


def test_every_admin_route_answers_htmx_with_hx_redirect_instead_of_a_login_fragment(app, client):
    for method in ("GET", "POST"):
        for endpoint, url in _rules(app, method, admin=True):
            headers = {
                "HX-Request": "true",
                "HX-Current-URL": "http://localhost/admin/customers?q=a",
            }
            data = {"csrf_token": csrf_token(client)} if method == "POST" else None
            response = client.open(url, method=method, headers=headers, data=data)
            assert response.status_code == 401, endpoint
            assert response.headers["HX-Redirect"] == "/login?next=%2Fadmin%2Fcustomers%3Fq%3Da"
            assert response.get_data(as_text=True) == "", endpoint


def test_every_admin_post_route_refuses_anonymous_visitors_even_with_a_csrf_token(app, client):
    token = csrf_token(client)
    for endpoint, url in _rules(app, "POST", admin=True):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, endpoint
        assert urlsplit(response.headers["Location"]).path == "/login", endpoint


def test_unknown_admin_paths_reveal_nothing_to_anonymous_visitors(client):
    assert client.get("/admin/no-such-page").status_code == 302
    assert client.get("/admin").status_code == 302


# --- admin-only routes refuse STAFF -------------------------------------------------------------


def test_admin_only_routes_refuse_staff_with_403_and_other_admin_routes_let_them_in(
    app, staff_client
):
    token = csrf_token(staff_client, "/admin/")
    checked = 0
    for method in ("GET", "POST"):
        for endpoint, url in _rules(app, method, admin=True):
            data = {"csrf_token": token} if method == "POST" else None
            response = staff_client.open(url, method=method, data=data)
            # A streamed body (a CSV export) ends its request context when closed: now, before
            # the next request, not whenever the response is collected.
            response.close()
            if _admin_only(app, endpoint):
                checked += 1
                assert response.status_code == 403, endpoint
                assert "Only administrators" in response.get_data(as_text=True)
            else:
                assert response.status_code not in (302, 401, 403), (endpoint, response.status)
    assert checked >= 8


def test_staff_do_not_see_admin_only_links(staff_client, admin_client):
    assert "Staff users" not in staff_client.get("/admin/").get_data(as_text=True)
    assert "Staff users" in admin_client.get("/admin/").get_data(as_text=True)


# Old addresses kept for bookmarks, answered with a redirect to where the page is now.
MOVED = {"booking_admin.new_booking"}


def test_admins_reach_every_admin_get_route(app, admin_client):
    for endpoint, url in _rules(app, "GET", admin=True):
        response = admin_client.get(url)
        response.close()  # a streamed body (a CSV export) ends its request context now
        if endpoint in MOVED:
            assert response.status_code == 303, endpoint
            assert admin_client.get(response.headers["Location"]).status_code == 200, endpoint
            continue
        status = response.status_code
        assert status in (200, 404), (endpoint, status)  # 404: the dummy ID does not exist


# --- CSRF ---------------------------------------------------------------------------------------


def test_every_post_route_without_a_csrf_token_is_refused_with_400(app, admin_client):
    routes = _rules(app, "POST")
    assert len(routes) >= 12
    for endpoint, url in routes:
        for headers in ({}, {"HX-Request": "true"}):
            response = admin_client.post(url, data={"email": "x"}, headers=headers)
            if url.startswith("/api/"):
                # The JSON API takes no CSRF token because it never reads the session: the
                # signed-in admin's cookie alone is anonymous there (tests/integration/api).
                assert response.status_code == 401, endpoint
            else:
                assert response.status_code == 400, endpoint
    assert admin_client.get("/admin/").status_code == 200  # still signed in: logout was refused


def test_no_get_route_changes_state(app, admin_client):
    customer = CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                "Ann Lee",
                "ann@example.com",
                "+1 555 0100",
                "1 Main St",
                "Austin",
                "Texas",
                "78701",
                "United States",
            )
        )
    )
    before = CustomerFacade().get_customer_by_id(customer)
    for _endpoint, url in _rules(app, "GET"):
        admin_client.get(url.replace(DUMMY_ID, customer))
    assert CustomerFacade().get_customer_by_id(customer) == before


# --- headers ------------------------------------------------------------------------------------


def _assert_security_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, where
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where


def test_security_headers_on_every_page_for_visitors_and_staff(app, client, admin_client):
    for who, c in (("anonymous", client), ("admin", admin_client)):
        for endpoint, url in _rules(app, "GET"):
            _assert_security_headers(c.get(url), f"{who} {endpoint}")
        _assert_security_headers(c.get("/no/such/page"), who)


def test_admin_pages_are_not_cached(admin_client):
    assert admin_client.get("/admin/customers").headers["Cache-Control"] == "no-store"


def test_hsts_and_secure_cookie_only_over_https(app):
    plain = app.test_client()
    response = plain.get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]
    secure = app.test_client()
    response = secure.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- login --------------------------------------------------------------------------------------


def test_login_cookie_is_httponly_and_samesite_lax(app, client, admin_user):
    response = login(client, admin_user.email, admin_user.password)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_fixation_a_new_session_on_login(app, client, admin_user):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("rentkit_session").value
    token_before = csrf_token(client, "/login")
    response = login(client, admin_user.email, admin_user.password)
    assert response.status_code == 303
    after = client.get_cookie("rentkit_session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
    assert csrf_token(client, "/admin/") != token_before  # the CSRF token is new too


def test_wrong_email_and_wrong_password_get_the_same_generic_answer(app, client, admin_user):
    wrong_password = login(client, admin_user.email, "not the password at all")
    unknown = login(client, "nobody@example.com", "not the password at all")
    assert wrong_password.status_code == unknown.status_code == 422
    message = "That email and password do not match an active staff account."

    def text(r):
        return re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))

    assert message in text(wrong_password) and message in text(unknown)


def test_deactivated_users_cannot_sign_in(app, client, admin_user):
    staff = create_staff("STAFF")
    from rental.accounts import DeactivateUser

    AccountsFacade().deactivate_user(DeactivateUser(admin_user.id, staff.id))
    assert login(client, staff.email, staff.password).status_code == 422


def test_login_goes_back_to_a_local_next_page_only(app, client, admin_user):
    ok = login(client, admin_user.email, admin_user.password, next_path="/admin/customers?q=x")
    assert ok.headers["Location"] == "/admin/customers?q=x"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        c = app.test_client()
        response = login(c, admin_user.email, admin_user.password, next_path=evil)
        assert response.headers["Location"] == "/admin/", evil


def test_logout_needs_post_and_ends_the_session(app, admin_client):
    assert admin_client.get("/logout").status_code == 405
    response = admin_client.post(
        "/logout", data={"csrf_token": csrf_token(admin_client, "/admin/")}
    )
    assert response.status_code == 303
    assert admin_client.get("/admin/").status_code == 302


def test_changing_the_password_signs_out_other_sessions_but_not_this_one(app, admin_user):
    here, elsewhere = sign_in(app.test_client(), admin_user), sign_in(app.test_client(), admin_user)
    response = here.post(
        "/admin/account/password",
        data={
            "csrf_token": csrf_token(here, "/admin/"),
            "current_password": admin_user.password,
            "new_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 303
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    assert login(app.test_client(), admin_user.email, "a brand new passphrase").status_code == 303


def test_a_deactivated_users_session_ends_at_once(app, admin_client, staff_user, staff_client):
    assert staff_client.get("/admin/").status_code == 200
    admin_client.post(
        f"/admin/users/{staff_user.id}/deactivate",
        data={"csrf_token": csrf_token(admin_client, "/admin/")},
    )
    assert staff_client.get("/admin/").status_code == 302


def test_staff_sessions_expire(app, staff_client):
    with staff_client.session_transaction() as session:
        session["_login_at"] -= int(app.config["STAFF_SESSION_HOURS"] * 3600) + 1
    assert staff_client.get("/admin/").status_code == 302


# --- output escaping, error pages ----------------------------------------------------------------


def test_user_data_is_escaped(app, admin_client):
    customer = CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                '<script>alert("x")</script>',
                "xss@example.com",
                "+1 555 0100",
                "<b>1 Main</b>",
                "Austin",
                "Texas",
                "78701",
                "United States",
            )
        )
    )
    for url in (f"/admin/customers/{customer}", "/admin/customers?q=xss"):
        body = admin_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body
        assert "<b>1 Main" not in body


@pytest.mark.parametrize("path", ["/admin/customers/" + "x" * 5000, "/admin/customers/%E2%80%AE"])
def test_odd_ids_are_plain_404s(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)
