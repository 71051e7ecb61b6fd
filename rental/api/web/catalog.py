"""Catalog reads (public, rate-limited per IP without a token, ETag): categories, equipment types
with their specs and rate card, kits with their components and prices. What the public catalog
pages show (rental/storefront): active types only, kits whose every component is active, no
staff-only fields. A type's rates are part of the type (`rate_card`); there is no separate
rate-card resource."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, current_app, url_for

from rental.api.web.core import PUBLIC, bp, operation
from rental.api.web.helpers import (
    decode_cursor,
    encode_cursor,
    json_response,
    money,
    page_of,
    page_response,
)
from rental.api.web.problems import ApiProblem
from rental.api.web.root import LINKS
from rental.api.web.schemas.catalog import (
    CategoryOut,
    CategoryPage,
    CategoryQuery,
    CategoryRef,
    EquipmentTypeDetailsOut,
    EquipmentTypeOut,
    EquipmentTypePage,
    EquipmentTypeQuery,
    ImageOut,
    KitComponentOut,
    KitDetailsOut,
    KitOut,
    KitPage,
    KitPricesOut,
    KitQuery,
    MoneyAmount,
    RateCardOut,
    SpecOut,
    TypeRef,
)
from rental.catalog import BrowseCatalog, CatalogFacade, KitDetails, SpecEntry
from rental.pricing import PricingFacade, RateCard
from rental.shared.images import StoredImage
from rental.shared.images.web import image_src
from rental.shared.money import Money
from rental.storefront.web.catalog import kit_prices

LINKS["equipment_types"] = "/api/v1/equipment-types"
LINKS["kits"] = "/api/v1/kits"

TYPE_GONE = "This equipment is no longer in our catalog."
KIT_GONE = "This kit is no longer in our catalog."


def _maybe_money(value: Money | None) -> MoneyAmount | None:
    return None if value is None else money(value)


def rate_card_out(card: RateCard | None) -> RateCardOut | None:
    if card is None:
        return None
    return RateCardOut(
        hourly=money(card.hourly),
        daily=money(card.daily),
        weekly=_maybe_money(card.weekly),
        minimum_rental_minutes=int(card.minimum_duration.total_seconds() // 60),
        # The words the type's page uses (pricing's `duration` filter).
        minimum_rental=current_app.jinja_env.filters["duration"](card.minimum_duration),
        deposit=_maybe_money(card.deposit),
        currency=card.currency,
    )


def _image(image: StoredImage | None, alt: str) -> ImageOut | None:
    if image is None:
        return None
    return ImageOut(url=image_src(image, 600), url_large=image_src(image, 1200), alt=alt)


def _specs(entries: Iterable[SpecEntry]) -> list[SpecOut]:
    return [
        SpecOut(key=e.key, label=e.label, value=e.value, display=e.display, kind=e.kind)  # type: ignore[arg-type]
        for e in entries
    ]


# --- categories -------------------------------------------------------------------------------


@bp.get("/categories")
@operation(PUBLIC, query=CategoryQuery, ok=CategoryPage, etag=True, tags=["catalog"])
def list_categories(query: CategoryQuery) -> Response:
    """Every category, ordered by slug, with its parent and number of equipment types."""
    nodes = sorted(CatalogFacade().list_categories(), key=lambda n: n.slug)
    page, next_cursor = page_of(nodes, query, key=lambda n: n.slug)
    data = [
        CategoryOut(
            id=n.id,
            name=n.name,
            slug=n.slug,
            parent_id=n.parent_id,
            depth=n.depth,
            type_count=n.type_count,
        )
        for n in page
    ]
    return page_response(CategoryPage(data=data, next_cursor=next_cursor), next_cursor, etag=True)


# --- equipment types --------------------------------------------------------------------------


def _page_number(cursor: str | None, limit: int) -> tuple[int, int]:
    """(page, page size) from a cursor of this list; the first page without one. The size
    travels in the cursor, so a later `limit` cannot shift the pages."""
    state = decode_cursor(cursor)
    if state is None:
        return 1, limit
    page, size = state.get("page"), state.get("size")
    if not isinstance(page, int) or not isinstance(size, int) or page < 1 or not 1 <= size <= 100:
        message = "This cursor is not valid: use the `next_cursor` of the previous page."
        raise ApiProblem(
            422, message, slug="validation", errors=[{"field": "cursor", "message": message}]
        )
    return page, size


@bp.get("/equipment-types")
@operation(PUBLIC, query=EquipmentTypeQuery, ok=EquipmentTypePage, etag=True, tags=["catalog"])
def list_equipment_types(query: EquipmentTypeQuery) -> Response:
    """The equipment types the public catalog lists (active only), by name, with their key
    specs and rate card; `category` (a slug, with the categories below it) and `q` (text)
    narrow it as the catalog page's filters do."""
    catalog = CatalogFacade()
    category_slug = (query.category or "").strip()
    if category_slug and catalog.get_category_by_slug(category_slug) is None:
        message = "There is no category with this slug: GET /api/v1/categories lists them."
        raise ApiProblem(
            422, message, slug="validation", errors=[{"field": "category", "message": message}]
        )
    number, size = _page_number(query.cursor, query.limit)
    result = catalog.browse_catalog(
        BrowseCatalog(
            text=(query.q or "").strip()[:100],
            category_slug=category_slug,
            page=number,
            page_size=size,
        )
    ).result
    items = result.items if result.page == number else []  # past the last page: none
    categories = {n.id: n for n in catalog.list_categories()}
    cards = PricingFacade(catalog).get_rate_cards(t.id for t in items)
    data = []
    for t in items:
        node = categories.get(t.category_id)
        data.append(
            EquipmentTypeOut(
                id=t.id,
                slug=t.slug,
                name=t.name,
                short_description=t.short_description,
                category=CategoryRef(slug=node.slug, name=node.name) if node else None,
                specs=_specs(t.key_specs),
                image=_image(t.image, t.alt_text),
                rate_card=rate_card_out(cards.get(t.id)),
                url=url_for("storefront.equipment_type", slug=t.slug),
            )
        )
    more = bool(items) and result.has_next
    next_cursor = encode_cursor({"page": number + 1, "size": size}) if more else None
    body = EquipmentTypePage(data=data, next_cursor=next_cursor)
    return page_response(body, next_cursor, etag=True)


@bp.get("/equipment-types/<slug>")
@operation(PUBLIC, ok=EquipmentTypeDetailsOut, etag=True, errors=(404,), tags=["catalog"])
def get_equipment_type(slug: str) -> Response:
    """One equipment type as its page shows it: descriptions, every spec, the rate card (per
    started hour, day and week, minimum rental, deposit, currency). 404 for an unknown or
    inactive type."""
    catalog = CatalogFacade()
    details = catalog.get_equipment_type_by_slug(slug)
    if not details.active:
        raise ApiProblem(404, TYPE_GONE)
    path = [CategoryRef(slug=s, name=n) for s, n in reversed(details.category_path)]
    body = EquipmentTypeDetailsOut(
        id=details.id,
        slug=details.slug,
        name=details.name,
        short_description=details.short_description,
        description=details.description,
        category=path[-1] if path else None,
        category_path=path,
        specs=_specs(details.spec_entries),
        image=_image(details.image, details.alt_text),
        rate_card=rate_card_out(PricingFacade(catalog).get_rate_card(details.id)),
        url=url_for("storefront.equipment_type", slug=details.slug),
        availability=f"/api/v1/availability?equipment_type={details.slug}",
    )
    return json_response(body, etag=True)


# --- kits -------------------------------------------------------------------------------------


def _kit_out(kit: KitDetails, cards: dict[str, RateCard]) -> KitOut:
    prices = kit_prices(kit, cards)
    return KitOut(
        id=kit.id,
        slug=kit.slug,
        name=kit.name,
        description=kit.description,
        components=[
            KitComponentOut(
                equipment_type=TypeRef(id=line.equipment_type_id, slug=line.slug, name=line.name),
                quantity=line.quantity,
            )
            for line in kit.lines
        ],
        image=_image(kit.image, kit.alt_text),
        prices=None
        if prices is None
        else KitPricesOut(
            hourly=money(prices[0]),
            daily=money(prices[1]),
            weekly=_maybe_money(kit.rates.weekly if kit.rates else None),
            pricing=kit.pricing,  # type: ignore[arg-type]
            discount_percent="0" if kit.rates else kit.discount_text,
        ),
        url=url_for("storefront.kit", slug=kit.slug),
    )


@bp.get("/kits")
@operation(PUBLIC, query=KitQuery, ok=KitPage, etag=True, tags=["catalog"])
def list_kits(query: KitQuery) -> Response:
    """The kits visitors may see (active, every component active), by slug, with their
    components and prices."""
    kits = sorted(CatalogFacade().list_kits(public_only=True), key=lambda k: k.slug)
    page, next_cursor = page_of(kits, query, key=lambda k: k.slug)
    cards = PricingFacade().get_rate_cards({t for kit in page for t in kit.type_ids})
    body = KitPage(data=[_kit_out(kit, cards) for kit in page], next_cursor=next_cursor)
    return page_response(body, next_cursor, etag=True)


@bp.get("/kits/<slug>")
@operation(PUBLIC, ok=KitDetailsOut, etag=True, errors=(404,), tags=["catalog"])
def get_kit(slug: str) -> Response:
    """One kit as its page shows it: components, prices. 404 for an unknown or hidden kit."""
    kit = CatalogFacade().get_kit_by_slug(slug)
    if not kit.public:
        raise ApiProblem(404, KIT_GONE)
    cards = PricingFacade().get_rate_cards(kit.type_ids)
    out = _kit_out(kit, cards)
    body = KitDetailsOut(
        **out.model_dump(),
        availability=f"/api/v1/availability?kit={kit.slug}",
    )
    return json_response(body, etag=True)
