"""What search engines and link previews read about the storefront's pages: a title that says
what the page is, a description, the canonical address, Open Graph tags and, for what can be
rented, schema.org `Product` data with its `Offer`; and /sitemap.xml, the list of those pages.

`product_data` takes plain values, not a catalog DTO, so a kit page can describe itself the
same way an equipment type page does; its addresses join the sitemap in `public_paths`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, request, url_for

from rental.catalog import CatalogFacade, CatalogPage, EquipmentTypeDetails, KitDetails, flatten
from rental.pricing import RateCard
from rental.shared.images.web import preview_url
from rental.shared.money import Money
from rental.shared.seo import PageMeta, absolute_url, page_meta, summary

sitemap_bp = Blueprint("search_engines", __name__)

# Search engines read the sitemap now and then; an hour old is fresh enough, and an unchanged
# one is answered 304 (ETag) without its body.
SITEMAP_MAX_AGE = 3600

IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"
LEASE_OUT = "http://purl.org/goodrelations/v1#LeaseOut"  # the offer is to rent, not to sell
NAMES_IN_DESCRIPTION = 4  # at most, and only as many as fit whole


def _amount(money: Money) -> str:
    """'120.00': the amount rounded to the currency's minor unit, as schema.org wants it."""
    return str(money.rounded().amount)


def price_line(rate_card: RateCard | None) -> str:
    """'From €20.00 per hour or €120.00 per day.' ('' without a rate card)."""
    if rate_card is None:
        return ""
    return f"From {rate_card.hourly.format()} per hour or {rate_card.daily.format()} per day."


def product_data(
    *,
    name: str,
    description: str,
    url: str,
    image: str | None,
    rate_card: RateCard | None,
    available: bool,
    category: str | None = None,
    daily: Money | None = None,
) -> dict[str, Any]:
    """schema.org Product with its Offer: the price per day in the rate card's currency and
    whether it can be had at all (what is known without a rental period). No rate card, no
    offer: the page asks for a quote."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "description": description,
        "url": url,
    }
    if image:
        data["image"] = [image]
    if category:
        data["category"] = category
    if rate_card is not None:
        daily = rate_card.daily
    if daily is not None:
        data["offers"] = {
            "@type": "Offer",
            "url": url,
            "price": _amount(daily),
            "priceCurrency": daily.currency,
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": _amount(daily),
                "priceCurrency": daily.currency,
                "unitCode": "DAY",  # UN/CEFACT common code: per day
                "unitText": "day",
            },
            "availability": IN_STOCK if available else OUT_OF_STOCK,
            "businessFunction": LEASE_OUT,
        }
    return data


def type_meta(
    details: EquipmentTypeDetails, rate_card: RateCard | None, fleet_size: int, path: str
) -> PageMeta:
    """An equipment type's page: described by its short description (else its first
    paragraph) and its prices; a Product that is in stock when the shop has any of it."""
    lead = details.short_description or next(iter(details.paragraphs), "")
    lead = lead or f"Rent a {details.name} by the hour or the day."
    prices = price_line(rate_card)
    room = 160 - len(prices) - 1 if prices else 160
    description = f"{summary(lead, room)} {prices}".strip()
    url = absolute_url(path)
    preview = preview_url(details.image) if details.image else None  # JPEG: every reader
    image = absolute_url(preview) if preview else None
    properties: tuple[tuple[str, str], ...] = ()
    if rate_card is not None:
        properties = (
            ("product:price:amount", _amount(rate_card.daily)),
            ("product:price:currency", rate_card.daily.currency),
        )
    return page_meta(
        f"{details.name} for rent",
        description,
        path,
        image=preview,
        image_alt=details.alt_text,
        og_type="product",
        properties=properties,
        structured_data=product_data(
            name=details.name,
            description=" ".join(lead.split()),
            url=url,
            image=image,
            rate_card=rate_card,
            available=details.active and fleet_size > 0,
            category=details.category_path[-1][1] if details.category_path else None,
        ),
    )


def catalog_meta(page: CatalogPage, text: str, path: str) -> PageMeta:
    """The catalog, a category or a search: what is listed, and the first names on the page."""
    category, result = page.category, page.result
    if category is not None:
        title = f"{category.name} for rent"
    else:
        title = "Equipment for rent" if text else "Equipment catalog"
    if text:
        title += f" matching “{text}”"
    if result.page > 1:
        title += f" — page {result.page}"
    where = f" in {category.name}" if category else ""
    if result.total:
        kinds = f"{result.total} type{'s' if result.total != 1 else ''} of equipment"
        lead = f"Rent {kinds}{where} by the hour or the day and see what is free for your dates: "
        names: list[str] = []
        for item in result.items[:NAMES_IN_DESCRIPTION]:  # whole names, as many as fit
            if names and len(lead + ", ".join([*names, item.name]) + " and more.") > 160:
                break
            names.append(item.name)
        more = " and more" if result.total > len(names) else ""
        description = f"{lead}{', '.join(names)}{more}."
    else:
        matching = f" matching “{text}”" if text else ""
        description = (
            f"No equipment{matching}{where} right now. Browse the whole catalog to rent "
            "equipment by the hour or the day."
        )
    return page_meta(title, description, path)


def _contents(kit: KitDetails) -> str:
    return ", ".join(f"{line.quantity} × {line.name}" for line in kit.lines)


def kit_meta(kit: KitDetails, prices: tuple[Money, Money] | None, path: str) -> PageMeta:
    """A kit's page: what is in it and its prices; a Product like a type's (in stock: it is
    shown at all — every component active; nothing that needs a period)."""
    lead = next(iter(kit.paragraphs), "") or f"Rent the {kit.name}: {_contents(kit)}."
    price = f"From {prices[0].format()} per hour or {prices[1].format()} per day." if prices else ""
    room = 160 - len(price) - 1 if price else 160
    description = f"{summary(lead, room)} {price}".strip()
    preview = preview_url(kit.image) if kit.image else None  # JPEG: every reader
    properties: tuple[tuple[str, str], ...] = ()
    if prices:
        properties = (
            ("product:price:amount", _amount(prices[1])),
            ("product:price:currency", prices[1].currency),
        )
    return page_meta(
        f"{kit.name} for rent",
        description,
        path,
        image=preview,
        image_alt=kit.alt_text,
        og_type="product",
        properties=properties,
        structured_data=product_data(
            name=kit.name,
            description=" ".join(lead.split()),
            url=absolute_url(path),
            image=absolute_url(preview) if preview else None,
            rate_card=None,
            daily=prices[1] if prices else None,
            available=kit.public,
            category="Kits",
        ),
    )


def kits_meta(kits: list[KitDetails], path: str) -> PageMeta:
    names = ", ".join(kit.name for kit in kits[:NAMES_IN_DESCRIPTION])
    description = (
        f"Equipment kits for rent — several items together for less: {names}."
        if kits
        else "Equipment kits for rent: several items together for less."
    )
    return page_meta("Equipment kits", summary(description, 160), path)


# --- the sitemap ---------------------------------------------------------------------------------


def public_paths(catalog: CatalogFacade) -> Iterator[str]:
    """Every page a search engine should find, as url_for gives it (the same address the page
    names as canonical): home, the catalog, each category that has active types, each active
    type. Three statements however many types there are."""
    yield url_for("pages.home")
    yield url_for("storefront.catalog")
    for node in flatten(catalog.get_category_tree()):
        if node.type_count:  # active types in it or below it
            yield url_for("storefront.catalog", category=node.slug)
    type_slugs, kit_slugs = catalog.list_public_slugs()  # one statement for both
    for slug in type_slugs:
        yield url_for("storefront.equipment_type", slug=slug)
    if kit_slugs:
        yield url_for("storefront.kits")
    for slug in kit_slugs:
        yield url_for("storefront.kit", slug=slug)


@sitemap_bp.get("/sitemap.xml")
def sitemap() -> Response:
    urls = "".join(
        f"<url><loc>{escape(absolute_url(path))}</loc></url>\n"
        for path in public_paths(CatalogFacade())
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = f"public, max-age={SITEMAP_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)
