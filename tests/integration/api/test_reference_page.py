"""The API reference page on SQLite and PostgreSQL: /api/v1/docs serves the vendored Swagger
UI pointed at the OpenAPI document, with no inline script or style (the CSP forbids them); the
root, the admin tokens page and the site footer link to it. (Rendering in a real browser:
tests/e2e/test_api_reference.py.)"""

from __future__ import annotations

import re

from tests.support.auth import sign_in


def test_the_reference_page_loads_pinned_local_assets_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'data-openapi-url="/api/v1/openapi.json"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and " style=" not in html
    assert "/static/vendor/swagger-ui-5." in html and "https://" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_the_root_the_tokens_page_and_the_footer_link_it(app, client, admin_user):
    assert client.get("/api/v1").get_json()["links"]["docs"] == "/api/v1/docs"
    assert 'href="/api/v1/docs" id="footer-api"' in client.get("/catalog").get_data(as_text=True)
    admin = sign_in(app.test_client(), admin_user)
    page = admin.get("/admin/api-tokens").get_data(as_text=True)
    assert 'href="/api/v1/docs" id="api-reference-link"' in page
