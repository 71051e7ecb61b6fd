"""The page shell in a real browser: it renders, htmx 2.0 is loaded, CSRF guards htmx POSTs."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect


def test_home_page_renders_with_navigation_and_a_way_to_the_catalog(page: Page, live_server):
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile("RentKit"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rent the right equipment")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog")
    ).to_be_visible()
    expect(page.locator("a", has_text="Browse the catalog")).to_have_attribute("href", "/catalog")
    assert errors == [], errors  # e.g. a CSP violation would show up here


def test_htmx_2_0_is_loaded(page: Page, live_server):
    page.goto(live_server.url + "/")
    assert page.evaluate("() => htmx.version").startswith("2.0")


def test_a_csrf_protected_htmx_post_works_from_the_page(page: Page, live_server):
    page.goto(live_server.url + "/")
    # Build an htmx form on the page, as any of our forms would be (the token rides in hx-headers).
    page.evaluate(
        """() => {
          const form = document.createElement('form');
          form.setAttribute('hx-post', '/_probe/echo');
          form.setAttribute('hx-target', '#probe-out');
          form.innerHTML = '<input name="word" value="hello">'
            + '<button id="probe-go">Go</button><div id="probe-out"></div>';
          document.querySelector('main').appendChild(form);
          htmx.process(form);
        }"""
    )
    page.click("#probe-go")
    expect(page.locator("#echo-result")).to_have_text("You said: hello")


def test_a_post_without_the_csrf_token_is_refused_with_400(live_server):
    request = urllib.request.Request(
        live_server.url + "/_probe/echo",
        data=b"word=hi",
        method="POST",
        headers={"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("the POST was accepted without a CSRF token")
    except urllib.error.HTTPError as err:
        assert err.code == 400
        assert "security token" in err.read().decode()
