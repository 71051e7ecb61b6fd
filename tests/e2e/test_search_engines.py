"""Found by search engines, in a real browser: the public pages load without console errors
(a Content-Security-Policy violation is one), the browser reads the type page's JSON-LD as data
without reporting it to the CSP, and the catalog's search keeps clean addresses with and
without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from rental.shared.seeding import seeders

# An address with a parameter that has no value: '?q=&…', '…&spec.fuel=' or '…&x=' at the end.
EMPTY_PARAMETER = re.compile(r"[?&][^=&#]+=(?:&|#|$)")

# Installed before any page script runs: every CSP violation the page reports, in order.
RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def seed_demo(live_server) -> None:
    """The demo without its month of hires and payments: these pages show the catalog, and
    the money seeder (an invoice PDF for every receipt) is the slow part of the demo."""
    with live_server.app.app_context():
        for name, seeder in seeders():
            if name != "money":
                seeder()


def watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    return errors


def test_public_pages_load_without_console_errors_and_the_json_ld_is_read_as_data(
    page: Page, live_server
):
    seed_demo(live_server)
    errors = watch(page)
    for path in ("/", "/catalog", "/catalog?category=power", "/catalog/generator"):
        page.goto(live_server.url + path, wait_until="networkidle")
        assert page.locator('link[rel="canonical"]').get_attribute("href")
        assert page.locator('meta[name="description"]').get_attribute("content")
        assert page.evaluate("window.__csp") == [], path
    # The type page's structured data is in the DOM and parses; nothing ran or was blocked.
    product = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert product["@type"] == "Product" and product["name"] == "Diesel generator 20 kVA"
    assert product["offers"]["priceCurrency"] == "EUR"
    expect(page.locator("#availability")).to_be_visible()  # htmx and app.js still run
    assert errors == [], errors

    # The check is not blind: an inline script on the same page is blocked and reported.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "document.head.append(Object.assign(document.createElement('script'),"
            " {textContent: 'window.ran = true'}))"
        )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__csp") == ["script-src-elem inline"]
    assert page.evaluate("window.ran") is None


def test_active_search_pushes_addresses_without_empty_parameters(page: Page, live_server):
    seed_demo(live_server)
    errors = watch(page)
    page.goto(live_server.url + "/catalog")
    results = page.locator("#catalog-results")
    page.get_by_label("Search equipment").fill("generator")
    expect(page).to_have_url(re.compile(r"/catalog\?q=generator"))
    assert not EMPTY_PARAMETER.search(page.url), page.url
    page.get_by_text("Filter by specification").click()
    page.get_by_label("Fuel").select_option("diesel")
    expect(page).to_have_url(re.compile(r"spec\.fuel=diesel"))
    expect(results).not_to_contain_text("Petrol generator")
    assert not EMPTY_PARAMETER.search(page.url), page.url

    # An htmx request that does carry empty parameters is redirected; the browser follows with
    # the same headers, the results are swapped in and the clean address is pushed.
    page.evaluate(
        "htmx.ajax('GET', '/catalog?q=scissor&spec.fuel=&spec.power_kva.min=',"
        " {target: '#catalog-results', push: 'true'})"
    )
    expect(results).to_contain_text("Scissor lift")
    expect(page).to_have_url(live_server.url + "/catalog?q=scissor")
    expect(page.locator("h1")).to_have_count(1)  # a fragment was swapped, not a whole page
    page.go_back()  # htmx restores the page from the server (no history cache)
    expect(page).to_have_url(re.compile(r"spec\.fuel=diesel"))
    expect(results).to_contain_text("Diesel generator 20 kVA")
    expect(results).not_to_contain_text("Scissor lift")
    assert errors == [], errors


def test_the_search_form_without_javascript_lands_on_a_clean_address(browser, live_server):
    seed_demo(live_server)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/catalog")
        page.get_by_label("Search equipment").fill("generator")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page).to_have_url(live_server.url + "/catalog?q=generator&sort=name")
        expect(page.locator("#catalog-results")).to_contain_text("Diesel generator 20 kVA")
        canonical = page.locator('link[rel="canonical"]').get_attribute("href")
        assert canonical == live_server.url + "/catalog?q=generator"
    finally:
        context.close()
