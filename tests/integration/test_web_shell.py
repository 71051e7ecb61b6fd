"""The web shell: domain errors become clear 4xx pages or htmx notices, never stack traces."""

from __future__ import annotations

import pytest

from rental import create_app


@pytest.fixture
def probe_client(database_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "RENTAL_PLUGINS": ["tests.support.probe"]}
    )
    return app.test_client()


@pytest.mark.parametrize(
    ("kind", "status", "text"),
    [
        ("validation", 422, "The end must be after the start."),
        ("notfound", 404, "No equipment type &#39;xyz&#39;."),
        ("conflict", 409, "Only 2 left for that period."),
        ("boom", 500, "An unexpected error stopped this request"),
    ],
)
def test_domain_errors_map_to_status_pages(probe_client, kind, status, text):
    response = probe_client.get(f"/_probe/fail/{kind}")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert text in body and "<html" in body
    assert "Traceback" not in body and "secret internal detail" not in body


def test_htmx_requests_get_the_message_in_the_notification_region(probe_client):
    response = probe_client.get("/_probe/fail/conflict", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#notifications"
    assert "<html" not in response.get_data(as_text=True)
    assert "Only 2 left" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_unknown_pages_are_404_with_a_way_back(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert 'href="/catalog"' in response.get_data(as_text=True)


def test_security_headers_on_every_response(client, admin_client):
    # Anonymous visitors get the headers on the login redirect too; staff on the admin page.
    # (tests/integration/test_security.py checks every route of app.url_map.)
    pages = [(client, u) for u in ["/", "/admin/", "/no/such/page", "/static/css/app.css"]]
    for c, url in [*pages, (admin_client, "/admin/")]:
        headers = c.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
