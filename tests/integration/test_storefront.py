"""The public catalog pages (rental.storefront) on SQLite and PostgreSQL: what they cost in
SQL statements. Each page reads the categories, the types and the rate cards once (a type page
also its stock, once; a full page also the shop's settings for its footer, once), and a page
of 12 types costs no more than a page of 2 (no query per type). Those are the costs of the first
request after a change; the next ones take the catalog, rate cards, stock and settings from the
web process's reference cache and read only its token (rental.shared.reference_cache)."""

from __future__ import annotations

import pytest

from rental.catalog import CatalogFacade, CreateCategory
from tests.integration.catalog_fixtures import make_type, price
from tests.support.auth import without_csrf_tokens
from tests.support.statements import reading, statements, token_reads, uncached


@pytest.fixture
def shop(app):
    """Power > Generators, stocked with priced types by `shop(n)` (their specs are shared, so
    spec filters are offered; all within ±25 % of 20 kW, every fourth on petrol, so the first
    has comparable similar types)."""
    catalog = CatalogFacade()
    power = catalog.create_category(CreateCategory("Power"))
    generators = catalog.create_category(CreateCategory("Generators", parent_id=power))

    stocked: list[str] = []

    def stock(n: int) -> None:
        """Up to n types in all."""
        for i in range(len(stocked), n):
            fuel = "petrol" if i % 4 == 3 else "diesel"
            specs = {"power_kw": 20 + i / 4, "fuel": fuel}
            type_id = make_type(f"Generator {i:02}", specs=specs, category=generators)
            price(type_id)
            stocked.append(type_id)

    return stock


# Six for the page itself, and one for the shop's settings in its footer (rental.shop); a
# plain search (`q` alone) also looks for matching kits: one more.
CATALOG_BUDGET = 7
SEARCH_BUDGET = CATALOG_BUDGET + 1
CATALOG_URLS = [
    ("/catalog", CATALOG_BUDGET),
    ("/catalog?category=generators&q=generator&spec.power_kw.min=2", CATALOG_BUDGET),
    ("/catalog?q=generator", SEARCH_BUDGET),
]


@pytest.mark.parametrize(("url", "budget"), CATALOG_URLS)
def test_the_catalog_page_costs_seven_statements_however_many_types_it_shows(
    client, shop, url, budget
):
    shop(2)
    with statements() as small:
        assert client.get(url).status_code == 200
    shop(14)
    with statements() as full:
        body = client.get(url).get_data(as_text=True)
    assert body.count('class="type-card"') == 12  # a full page
    assert len(token_reads(full)) == len(token_reads(small)) == 1, full
    full, small = uncached(full), uncached(small)
    assert len(full) == len(small) <= budget, full
    assert len(reading(full, "catalog_categories")) == 1, full  # tree, category, filters
    assert len(reading(full, "pricing_rate_cards")) == 1, full  # every card of the page
    assert len(reading(full, "shop_settings")) == 1, full  # the footer
    # Nothing changed since: the same page again reads the token and nothing else.
    with statements() as again:
        kept = client.get(url).get_data(as_text=True)
    assert without_csrf_tokens(kept) == without_csrf_tokens(body)
    assert again == token_reads(again) and len(again) == 1, again


def test_the_catalog_results_htmx_asks_for_do_not_read_the_shop_settings(client, shop):
    shop(3)
    with statements() as seen:
        response = client.get("/catalog?q=generator", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<footer" not in response.get_data(as_text=True)
    seen = uncached(seen)
    assert len(seen) <= SEARCH_BUDGET - 1 and not reading(seen, "shop_settings"), seen


def test_a_type_page_reads_the_type_its_similar_types_its_rate_card_and_stock_once(client, shop):
    shop(6)
    with statements() as seen:
        body = client.get("/catalog/generator-00").get_data(as_text=True)
    assert "<h1>Generator 00</h1>" in body and "Similar equipment" in body
    assert body.count('<li><a href="/catalog/generator-0') == 4  # at most 4 similar types
    assert len(token_reads(seen)) == 1, seen
    seen = uncached(seen)
    assert len(seen) <= 5, seen
    assert len(reading(seen, "catalog_categories")) == 1, seen  # the breadcrumb
    assert len(reading(seen, "pricing_rate_cards")) == 1, seen  # prices, and the Offer
    assert len(reading(seen, "inventory_items")) == 1, seen  # the Offer's availability
    assert len(reading(seen, "shop_settings")) == 1, seen  # footer and pick-up box share it
    with statements() as again:
        kept = client.get("/catalog/generator-00").get_data(as_text=True)
    assert without_csrf_tokens(kept) == without_csrf_tokens(body)
    assert again == token_reads(again) and len(again) == 1, again


def test_empty_categories_are_hidden_from_visitors_but_not_from_staff(app, client, admin_client):
    catalog = CatalogFacade()
    power = catalog.create_category(CreateCategory("Power"))
    catalog.create_category(CreateCategory("Welding"))  # nothing in it
    catalog.create_category(CreateCategory("Lighting", parent_id=power))  # nothing in it
    generators = catalog.create_category(CreateCategory("Generators", parent_id=power))
    price(make_type("Generator 01", category=generators))
    body = client.get("/catalog").get_data(as_text=True)
    assert '>Power <span class="muted">(1)</span>' in body
    assert '>Generators <span class="muted">(1)</span>' in body
    assert "Welding" not in body and "Lighting" not in body and "(0)" not in body
    # Its address still answers, with the empty state.
    empty = client.get("/catalog?category=welding").get_data(as_text=True)
    assert "<h1>Welding</h1>" in empty and "No equipment matches in Welding" in empty
    # Staff see every category (to fill or remove them).
    staff = admin_client.get("/admin/catalog/categories").get_data(as_text=True)
    assert "Welding" in staff and "Lighting" in staff
