"""The storefront passes axe-core, the engine behind Lighthouse's accessibility score, with
every WCAG 2.x A/AA rule and axe's best practices (more than Lighthouse runs), on a phone: the
home, catalog, search, type, kit list, kit and booking pages and the cart with two lines, after
an htmx change too. Each page also has what Lighthouse's SEO and best-practices audits read
first: a language, a viewport, a title and no console errors."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_search_engines import seed_demo, watch

PHONE = {"width": 390, "height": 844}
RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
PAGES = (
    "/",
    "/catalog",
    "/catalog?q=generator",
    "/catalog/generator",
    "/catalog/kits",
    "/catalog/kits/event-power-kit",
    "/book/generator",
)
axe = Axe()


def violations(page: Page) -> list[str]:
    results = axe.run(page, options=RULES).response["violations"]
    return [f"{v['id']}: {[' '.join(n['target']) for n in v['nodes']]}" for v in results]


def test_storefront_pages_and_a_cart_of_two_pass_axe_on_a_phone(browser: Browser, live_server):
    seed_demo(live_server)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = watch(page)
    for path in PAGES:
        page.goto(live_server.url + path, wait_until="networkidle")
        assert page.locator("html").get_attribute("lang") == "en", path
        assert page.locator('meta[name="viewport"]').count() == 1, path
        assert page.title(), path
        assert violations(page) == [], path

    # The cart with a type and a kit, added as the type and kit pages' forms post them.
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    for kind, slug in (("type", "generator"), ("kit", "event-power-kit")):
        added = context.request.post(
            live_server.url + "/cart/add",
            form={"kind": kind, "slug": slug, "quantity": "1"},
            headers={"X-CSRFToken": token},
            max_redirects=0,
        )
        assert added.status == 303, added.status
    page.goto(live_server.url + "/cart", wait_until="networkidle")
    expect(page.locator(".cart-line")).to_have_count(2)
    assert violations(page) == [], "/cart"
    # An htmx change swaps fragments in (here a line that is now short, with its suggestions);
    # what it swaps in passes too.
    page.locator("#quantity-0").fill("50")
    page.locator("#quantity-0").press("Enter")
    expect(page.locator("#cart-line-0")).to_contain_text("you asked for 50")
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], "/cart with a short line"
    assert errors == [], errors

    # The check is not blind: an image without a text alternative is reported.
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert any(v.startswith("image-alt") for v in violations(page))
    context.close()
