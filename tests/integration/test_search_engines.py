"""What search engines and link previews read about the public pages (issue 11, "Found by search
engines"), on SQLite and PostgreSQL: a title and a description per page, the canonical address
(absolute, without empty or unknown parameters), Open Graph tags, and schema.org Product/Offer
data on a type page that cannot break out of its <script> element."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import pytest

from rental.catalog import CatalogFacade, CreateCategory
from rental.inventory import ChangeItemStatus, InventoryFacade, RegisterEquipment
from rental.shared.images.processing import process_upload
from tests.integration.catalog_fixtures import make_type, price
from tests.support.images import image_bytes
from tests.support.statements import cold_statements, explain, statements


class Head(HTMLParser):
    """The <title>, <meta> tags, canonical link and JSON-LD blocks of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title = ""
        self.names: dict[str, list[str]] = {}
        self.properties: dict[str, list[str]] = {}
        self.canonical: list[str] = []
        self.json_ld: list[str] = []
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._in = "title"
        elif tag == "meta" and "name" in a:
            self.names.setdefault(a["name"], []).append(a.get("content", ""))
        elif tag == "meta" and "property" in a:
            self.properties.setdefault(a["property"], []).append(a.get("content", ""))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"])
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in = "json"
            self.json_ld.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "json":
            self.json_ld[-1] += data

    def one(self, kind: str, key: str) -> str:
        values = (self.names if kind == "name" else self.properties).get(key, [])
        assert len(values) == 1, f"{kind}={key}: {values}"
        return values[0]

    @property
    def description(self) -> str:
        return self.one("name", "description")

    def og(self, key: str) -> str:
        return self.one("property", f"og:{key}")

    def product(self) -> dict:
        assert len(self.json_ld) == 1, self.json_ld
        return json.loads(self.json_ld[0])


def head(client, url: str, **kw) -> Head:
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return Head(response.get_data(as_text=True))


def assert_open_graph_repeats_the_page(page: Head, og_type: str = "website") -> None:
    assert page.canonical and len(page.canonical) == 1
    assert page.og("url") == page.canonical[0]
    assert page.og("title") + " · RentKit" == page.title
    assert page.og("description") == page.description
    assert page.og("type") == og_type
    assert page.og("site_name") == "RentKit"
    assert 50 <= len(page.description) <= 160, page.description


PHOTO = process_upload(image_bytes(1600, 1200), "generator.png")
PREVIEW = "/media/" + PHOTO.image.file_name(1200, "jpg")  # the JPEG for link previews


@pytest.fixture
def generators(app):
    """Power > Generators with 14 priced types; 'Generator 00' has an image and two items."""
    catalog = CatalogFacade()
    power = catalog.create_category(CreateCategory("Power"))
    generators = catalog.create_category(CreateCategory("Generators", parent_id=power))
    ids = []
    for i in range(14):
        extra = {"new_image": PHOTO, "image_alt": "A red generator"} if i == 0 else {}
        type_id = make_type(
            f"Generator {i:02}",
            specs={"power_kw": i + 1, "fuel": "diesel" if i % 2 else "petrol"},
            category=generators,
            short_description=f"A quiet {i + 1} kW generator for building sites and events.",
            **extra,
        )
        price(type_id)
        ids.append(type_id)
    for serial in ("G-1", "G-2"):
        InventoryFacade().register_new_equipment(RegisterEquipment(ids[0], serial))
    return ids


# --- home and catalog ------------------------------------------------------------------------


def test_the_home_page_says_what_the_shop_does_and_names_its_address(client):
    page = head(client, "/")
    assert page.title == "Rent equipment by the hour or the day · RentKit"
    assert page.description.startswith("Rent excavators, scissor lifts, generators")
    assert page.canonical == ["http://localhost/"]
    assert_open_graph_repeats_the_page(page)
    assert "og:image" not in page.properties and page.json_ld == []


def test_the_catalog_lists_its_count_and_first_names_in_its_description(client, generators):
    page = head(client, "/catalog")
    assert page.title == "Equipment catalog · RentKit"
    assert page.description.startswith(
        "Rent 14 types of equipment by the hour or the day and see what is free for your dates: "
        "Generator 00, Generator 01"
    )
    assert page.canonical == ["http://localhost/catalog"]
    assert_open_graph_repeats_the_page(page)


def test_the_description_names_whole_types_only(client, app):
    category = CatalogFacade().create_category(CreateCategory("Power & Cleaning"))
    for name in ("Diesel generator 20 kVA", "Floor scrubber dryer", "Hot water pressure washer"):
        make_type(name, category=category)
    description = head(client, "/catalog?category=power-cleaning").description
    assert description == (
        "Rent 3 types of equipment in Power & Cleaning by the hour or the day and see what is "
        "free for your dates: Diesel generator 20 kVA and more."
    )  # the next name would not fit whole in 160 characters


def test_a_category_a_search_and_a_second_page_each_have_their_own_title(client, generators):
    category = head(client, "/catalog?category=generators")
    assert category.title == "Generators for rent · RentKit"
    assert "14 types of equipment in Generators" in category.description
    search = head(client, "/catalog?q=generator&category=generators&page=2")
    assert search.title == "Generators for rent matching “generator” — page 2 · RentKit"
    assert search.canonical == ["http://localhost/catalog?q=generator&category=generators&page=2"]
    nothing = head(client, "/catalog?q=zeppelin")
    assert nothing.title == "Equipment for rent matching “zeppelin” · RentKit"
    assert nothing.description.startswith("No equipment matching “zeppelin” right now.")
    for page in (category, search, nothing):
        assert_open_graph_repeats_the_page(page)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/catalog/", "/catalog"),
        ("/catalog?sort=name&page=1&utm_source=news", "/catalog"),  # defaults, unknown: dropped
        ("/catalog?category=no-such-category", "/catalog"),  # shows everything, like /catalog
        ("/catalog?page=99", "/catalog?page=2"),  # the page that is shown
        ("/catalog?spec.power_kw.min=3&sort=newest", "/catalog?sort=newest&spec.power_kw.min=3"),
    ],
)
def test_the_canonical_address_is_the_clean_address_of_what_is_shown(
    client, generators, url, canonical
):
    assert head(client, url).canonical == ["http://localhost" + canonical]


def test_absolute_addresses_use_public_url_whatever_host_the_request_names(
    app, client, generators, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://rent.example.com")
    page = head(client, "/catalog/generator-00", headers={"Host": "evil.example"})
    assert page.canonical == ["https://rent.example.com/catalog/generator-00"]
    assert page.og("image") == "https://rent.example.com" + PREVIEW
    assert page.product()["offers"]["url"] == "https://rent.example.com/catalog/generator-00"


# --- type pages ------------------------------------------------------------------------------


def test_a_type_page_is_described_by_its_short_description_and_prices(client, generators):
    page = head(client, "/catalog/generator-00")
    assert page.title == "Generator 00 for rent · RentKit"
    assert page.description == (
        "A quiet 1 kW generator for building sites and events. "
        "From €20.00 per hour or €120.00 per day."
    )
    assert page.canonical == ["http://localhost/catalog/generator-00"]
    assert_open_graph_repeats_the_page(page, og_type="product")
    assert page.og("image") == "http://localhost" + PREVIEW
    assert page.og("image:alt") == "A red generator"
    assert page.one("property", "product:price:amount") == "120.00"
    assert page.one("property", "product:price:currency") == "EUR"


def test_a_type_without_an_image_has_no_og_image(client, generators):
    page = head(client, "/catalog/generator-01")
    assert "og:image" not in page.properties and "image" not in page.product()


def test_a_long_short_description_is_cut_at_a_word_and_keeps_the_prices(client, app):
    type_id = make_type("Long one", short_description="word " * 45)
    price(type_id)
    description = head(client, "/catalog/long-one").description
    assert len(description) <= 160
    assert description.endswith("word… From €20.00 per hour or €120.00 per day.")


def test_a_type_page_describes_a_product_offered_per_day(client, generators):
    product = head(client, "/catalog/generator-00").product()
    assert product == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Generator 00",
        "description": "A quiet 1 kW generator for building sites and events.",
        "url": "http://localhost/catalog/generator-00",
        "image": ["http://localhost" + PREVIEW],
        "category": "Generators",
        "offers": {
            "@type": "Offer",
            "url": "http://localhost/catalog/generator-00",
            "price": "120.00",
            "priceCurrency": "EUR",
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": "120.00",
                "priceCurrency": "EUR",
                "unitCode": "DAY",
                "unitText": "day",
            },
            "availability": "https://schema.org/InStock",
            "businessFunction": "http://purl.org/goodrelations/v1#LeaseOut",
        },
    }


def test_a_type_without_items_or_with_only_retired_ones_is_out_of_stock(client, generators):
    def availability(slug: str) -> str:
        return head(client, f"/catalog/{slug}").product()["offers"]["availability"]

    assert availability("generator-01") == "https://schema.org/OutOfStock"  # no items at all
    item = InventoryFacade().register_new_equipment(RegisterEquipment(generators[1], "G-9"))
    assert availability("generator-01") == "https://schema.org/InStock"
    InventoryFacade().change_item_status(ChangeItemStatus(item, "RETIRED", reason="scrapped"))
    assert availability("generator-01") == "https://schema.org/OutOfStock"


def test_a_type_without_a_rate_card_has_no_offer(client, app):
    make_type("Unpriced pump", short_description="A pump we quote for.")
    page = head(client, "/catalog/unpriced-pump")
    assert "offers" not in page.product()
    assert "product:price:amount" not in page.properties
    assert page.description == "A pump we quote for."


HOSTILE = "Gen </script><script>alert(\"x\")</script> <!-- & 'quoted'"


def test_a_hostile_name_cannot_break_out_of_the_json_ld(client, app):
    type_id = make_type(HOSTILE, short_description="</SCRIPT> <b>bold</b>")
    price(type_id)
    slug = CatalogFacade().get_equipment_type_details(type_id).slug
    body = client.get(f"/catalog/{slug}").get_data(as_text=True)
    page = Head(body)
    product = page.product()  # parses: the block ended where the template ends it
    assert product["name"] == HOSTILE and product["description"] == "</SCRIPT> <b>bold</b>"
    assert "<script>alert" not in body and "</script><script>" not in body
    assert "</SCRIPT>" not in body
    scripts = body.lower().count("<script")
    assert scripts == body.lower().count("</script>") == 3  # htmx, app.js and the JSON-LD
    assert page.og("title") == f"{HOSTILE} for rent"  # the attribute holds it, escaped


# --- one address per catalog page -------------------------------------------------------------


def form_fields(body: str) -> list[str]:
    """The names of the fields the catalog's search form sends."""
    form = body.split('<form class="catalog-search"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<(?:input|select)[^>]*\sname="([^"]+)"', form)


def test_the_search_form_sent_without_javascript_lands_on_the_clean_address(client, generators):
    fields = form_fields(client.get("/catalog?category=generators").get_data(as_text=True))
    assert len([f for f in fields if f.startswith("spec.")]) >= 3  # the facets' empty fields
    typed = {"category": "generators", "q": "generator", "sort": "name"}  # sort: a <select>
    sent = {name: "" for name in fields} | typed
    response = client.get("/catalog", query_string=sent)
    assert response.status_code == 301
    assert response.headers["Location"] == "/catalog?category=generators&q=generator&sort=name"
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200 and 'class="type-card"' in followed.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("/catalog?q=&spec.fuel=&spec.power_kw.min=", "/catalog"),
        ("/catalog/?q=%20%20&page=2", "/catalog?page=2"),  # blank counts as empty
        ("/catalog?spec.power_kw.max=3&q=&sort=newest", "/catalog?spec.power_kw.max=3&sort=newest"),
    ],
)
def test_an_address_with_empty_parameters_redirects_for_good_without_reading_anything(
    client, generators, url, clean
):
    with statements() as seen:
        response = client.get(url)
    assert (response.status_code, response.headers["Location"]) == (301, clean)
    assert seen == []


@pytest.mark.parametrize("url", ["/catalog", "/catalog?sort=name&page=1", "/catalog?q=gen"])
def test_an_address_without_empty_parameters_is_served(client, generators, url):
    assert client.get(url).status_code == 200


def test_htmx_active_search_with_empty_parameters_still_gets_its_fragment(client, generators):
    """htmx's XMLHttpRequest follows the redirect with the same headers (HX-Request too), so
    the results block comes from the clean address and htmx pushes that address."""
    htmx = {"HX-Request": "true", "HX-Current-URL": "http://localhost/catalog"}
    response = client.get("/catalog?q=generator+01&spec.fuel=&spec.power_kw.min=", headers=htmx)
    assert (response.status_code, response.headers["Location"]) == (301, "/catalog?q=generator+01")
    fragment = client.get(response.headers["Location"], headers=htmx)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and "<title>" not in body  # the block, not the page
    assert body.count('class="type-card"') == 1 and "Generator 01" in body
    followed = client.get("/catalog?q=generator+01&spec.fuel=", headers=htmx, follow_redirects=True)
    assert followed.request.path == "/catalog" and followed.get_data(as_text=True) == body


# --- sitemap.xml and robots.txt ----------------------------------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_urls(client) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


@pytest.fixture
def shop_with_hidden_parts(app, generators):
    """Besides Power > Generators: a category whose only type is inactive, an empty one, and
    an inactive generator."""
    catalog = CatalogFacade()
    archive = catalog.create_category(CreateCategory("Archive"))
    catalog.create_category(CreateCategory("Lighting"))
    make_type("Old crane", category=archive, active=False)
    generators_id = catalog.get_category_by_slug("generators").id
    make_type("Retired generator", category=generators_id, active=False)


def test_the_sitemap_lists_home_catalog_categories_with_active_types_and_active_types(
    client, shop_with_hidden_parts
):
    urls = sitemap_urls(client)
    base = "http://localhost"
    assert urls[:4] == [
        f"{base}/",
        f"{base}/catalog",
        f"{base}/catalog?category=power",  # its types are one level down
        f"{base}/catalog?category=generators",
    ]
    assert urls[4:] == [f"{base}/catalog/generator-{i:02}" for i in range(14)]
    assert len(set(urls)) == len(urls)


def test_every_address_in_the_sitemap_is_served_and_names_itself_canonical(
    client, shop_with_hidden_parts
):
    for url in sitemap_urls(client):
        assert head(client, url).canonical == [url]


def test_the_sitemap_uses_public_url_whatever_host_the_request_names(client, app, monkeypatch):
    make_type("Drill")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://rent.example.com")
    body = client.get("/sitemap.xml", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in body
    assert "https://rent.example.com/catalog/drill" in sitemap_urls(client)


def test_the_sitemap_costs_three_statements_however_many_types_there_are(client, app):
    power = CatalogFacade().create_category(CreateCategory("Power"))
    for i in range(3):
        make_type(f"Small {i}", category=power)
    with cold_statements() as few:
        assert len(sitemap_urls(client)) == 2 + 1 + 3
    for i in range(30):
        make_type(f"Big {i}", category=power)
    with cold_statements() as many:
        assert len(sitemap_urls(client)) == 2 + 1 + 33
    assert len(many) == len(few) <= 3, explain(many)


def test_the_sitemap_may_be_cached_and_is_answered_304_while_unchanged(client, generators):
    first = client.get("/sitemap.xml")
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    assert "Set-Cookie" not in first.headers  # nothing personal: any cache may keep it
    etag = first.headers["ETag"]
    again = client.get("/sitemap.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_type("Brand new pump")
    changed = client.get("/sitemap.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"/catalog/brand-new-pump" in changed.data


def test_robots_txt_keeps_private_pages_out_and_points_at_the_sitemap(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://rent.example.com")
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "Set-Cookie" not in response.headers
    assert response.get_data(as_text=True) == (
        "User-agent: *\n"
        "Disallow: /admin\n"
        "Disallow: /book/\n"
        "Disallow: /cart\n"
        "Disallow: /r/\n"
        "Disallow: /login\n"
        "Disallow: /calendar/\n"
        "Sitemap: https://rent.example.com/sitemap.xml\n"
    )


def test_robots_txt_disallows_every_staff_booking_and_manage_route_and_nothing_public(
    app, client, generators
):
    """Enumerated from app.url_map, so a route added later is judged too: private when it is
    staff, sign-in, booking or a manage link; everything else a crawler may fetch."""
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").get_data(as_text=True).splitlines())
    adapter = app.url_map.bind("localhost")
    # calendars: an order's .ics under its manage link, and the staff feeds' secret addresses
    private_blueprints = ("admin", "booking", "accounts", "calendars", "calendar_feed")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {arg: "x" for arg in rule.arguments}
        path = adapter.build(rule.endpoint, values)
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else ""
        private = rule.rule.startswith("/admin") or blueprint in private_blueprints
        assert robots.can_fetch("*", path) is not private, (rule.rule, rule.endpoint)
        checked += 1
    assert checked > 20
    for url in sitemap_urls(client):
        assert robots.can_fetch("*", url), url
