"""Assets in a real browser: the first page fetches the hashed, compressed files; the next pages
take them from the browser's cache without asking the server (no revalidation); the deferred
scripts still run and nothing breaks the Content Security Policy."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

# Collected in the page before any of its own scripts run (init scripts are not subject to CSP).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class Network:
    """What the browser fetched, from the DevTools protocol: served from its cache or over the
    network, with status and encoding."""

    def __init__(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.seen: dict[str, dict[str, Any]] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.cdp.on("Network.responseReceived", self._response)

    def _sent(self, event: dict[str, Any]) -> None:
        self.seen.setdefault(event["requestId"], {})["url"] = event["request"]["url"]

    def _cached(self, event: dict[str, Any]) -> None:
        self.seen.setdefault(event["requestId"], {})["cache"] = True

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        entry = self.seen.setdefault(event["requestId"], {})
        entry["url"] = response["url"]
        entry["status"] = response["status"]
        entry["cache"] = entry.get("cache") or response.get("fromDiskCache", False)
        entry["encoding"] = {k.lower(): v for k, v in response["headers"].items()}.get(
            "content-encoding"
        )

    def static(self) -> list[dict[str, Any]]:
        return [e for e in self.seen.values() if "/static/" in e.get("url", "")]

    def clear(self) -> None:
        self.seen.clear()


def test_a_second_page_takes_every_asset_from_the_cache_without_asking(page: Page, live_server):
    page.add_init_script(CSP_WATCH)
    network = Network(page)
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    first = network.static()
    assert {e["url"].rsplit("/", 1)[-1].split(".")[0] for e in first} >= {"app", "pico-2"}
    for entry in first:
        assert not entry["cache"] and entry["status"] == 200, entry
        if not entry["url"].endswith(".svg") or entry["encoding"]:
            assert entry["encoding"] == "br", entry  # Chromium accepts brotli

    network.clear()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    expect(page).to_have_url(live_server.url + "/catalog")
    page.wait_for_load_state("networkidle")
    again = network.static()
    assert len(again) >= len(first) - 1  # the favicon may not be asked for again at all
    for entry in again:
        assert entry.get("cache") and entry.get("status") != 304, entry
    assert page.evaluate("() => window.__cspViolations") == []


def test_deferred_scripts_run_and_htmx_swaps_without_csp_violations(page: Page, live_server):
    page.add_init_script(CSP_WATCH)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server.url + "/catalog")
    # app.js ran (it marks the document), htmx 2 is there and processed the page.
    assert page.evaluate("() => document.documentElement.classList.contains('js')")
    assert page.evaluate("() => htmx.version").startswith("2.0")
    scripts = page.eval_on_selector_all("script[src]", "s => s.map(e => e.defer)")
    assert scripts and all(scripts)
    # An htmx request and swap on this page (the token rides in hx-headers from the layout).
    page.evaluate(
        """() => {
          const box = document.createElement('div');
          box.id = 'swap-here';
          box.setAttribute('hx-get', '/');
          box.setAttribute('hx-select', 'h1');
          box.setAttribute('hx-trigger', 'go');
          document.querySelector('main').appendChild(box);
          htmx.process(box);
          htmx.trigger(box, 'go');
        }"""
    )
    expect(page.locator("#swap-here h1")).to_have_count(1)
    assert page.evaluate("() => window.__cspViolations") == []
    assert errors == [], errors
