"""The API reference page in a real browser: the vendored Swagger UI renders the operations of
/api/v1/openapi.json under the site's CSP (script-src 'self'; style-src 'self') without a
single CSP violation or console error; the footer links to it."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_reference_renders_the_operations_without_csp_violations(page: Page, live_server):
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    # Violations are also reported as events in the page: collect them before anything loads.
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(live_server.url + "/api/v1/docs")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    expect(page.locator(".opblock").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/equipment-types").first
    ).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/availability")).to_be_visible()
    # Open one operation: its parameters render too.
    page.locator(".opblock-summary", has_text="/api/v1/availability").click()
    expect(page.get_by_text("equipment_type", exact=True).first).to_be_visible()
    violations = page.evaluate("window.__csp")
    assert violations == [] and errors == [], (violations, errors)


def test_the_footer_links_the_developer_api(page: Page, live_server):
    page.goto(live_server.url + "/catalog")
    page.locator("#footer-api").click()
    expect(page.locator(".opblock").first).to_be_visible()
