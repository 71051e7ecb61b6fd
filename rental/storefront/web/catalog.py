"""The public catalog: /catalog (search, category, spec filters, pages, and optionally your
dates) and /catalog/<slug>, with each type's prices. Parse → facades (catalog, pricing,
inventory, booking) → render, with what search engines read about the page (seo.py).

Dates first: with a period (`start_date`/`end_date`, or `start`/`end` by the hour, and
`quantity`) every card says how many are free for it (Booking's `free_units`, a few statements
for the whole page) and `available=1` lists only what is free — filtered before the pages are
cut, among the first KEEP_LIMIT matches of the search. The period is parsed and checked by
Booking's own rules, and travels on in every link: pages, sorting, categories, type pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, request, url_for

from rental.booking import PERIOD_FIELDS, BookingFacade, BookingRequest, FreeUnits, parse_carried
from rental.catalog import (
    SORTS,
    BrowseCatalog,
    CatalogFacade,
    CategoryNode,
    KitDetails,
    SpecFilter,
)
from rental.inventory import InventoryFacade
from rental.pricing import PricingFacade, RateCard
from rental.shared.db import reads_only
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.page_cache import cached_page
from rental.shared.parsing import page_number, parse_decimal
from rental.shared.web import is_htmx, render
from rental.storefront.web.seo import catalog_meta, kit_meta, kits_meta, type_meta

bp = Blueprint("storefront", __name__, url_prefix="/catalog")

PAGE_SIZE = 12
SIMILAR_SHOWN = 4
SPEC_LIMIT = Decimal("1000000000000")  # spec filters: far beyond any real spec value


def _number(raw: str | None) -> float | None:
    """A spec filter bound; one that is not a plain number is left out (as if not typed)."""
    try:
        value = parse_decimal(
            raw, field="spec", label="value", minimum=-SPEC_LIMIT, maximum=SPEC_LIMIT, places=6
        )
    except ValidationError:
        return None
    return None if value is None else float(value)


def _spec_filters(args: Any) -> tuple[list[SpecFilter], dict[str, str]]:
    """spec.<key>=value (text, yes/no), spec.<key>.min / spec.<key>.max (numbers)."""
    values: dict[str, dict[str, str]] = {}
    raw: dict[str, str] = {}
    for name, value in args.items():
        if not name.startswith("spec.") or not value.strip():
            continue
        raw[name] = value.strip()
        parts = name.split(".")
        key, part = parts[1], (parts[2] if len(parts) > 2 else "eq")
        values.setdefault(key, {})[part] = value.strip()
    filters = [
        SpecFilter(key, v.get("eq"), _number(v.get("min")), _number(v.get("max")))
        for key, v in sorted(values.items())
    ]
    return filters, raw


def _open_branch(nodes: list[CategoryNode], target: str | None) -> set[str]:
    """Ids of the selected category and its ancestors (their sub-lists stay open on phones)."""
    if target is None:
        return set()
    for node in nodes:
        if node.id == target:
            return {node.id}
        below = _open_branch(node.children, target)
        if below:
            return below | {node.id}
    return set()


def _without_blank_parameters() -> str | None:
    """This address without its blank parameters (a search form sent without JavaScript
    carries every empty field: `?q=&spec.fuel=&spec.power_kw.min=…`), or None when it has
    none. The rest keep their order."""
    pairs = list(request.args.items(multi=True))
    kept = [(name, value) for name, value in pairs if value.strip()]
    if len(kept) == len(pairs):
        return None
    return url_for("storefront.catalog") + ("?" + urlencode(kept) if kept else "")


def _dates(booking: BookingFacade) -> BookingRequest | None:
    """The period the visitor asked about, parsed and checked as the availability form does
    (its errors in `errors`, by field); None when no dates were given."""
    dates = parse_carried(request.args, booking.policy, booking.now())
    if dates is not None and not dates.errors and dates.period is not None:
        try:
            booking.check_period(dates.period, dates.basis)
        except ValidationError as exc:
            dates.errors.update(exc.errors or {"start": exc.message})
    return dates


def _carried(dates: BookingRequest | None) -> dict[str, str]:
    """The period's parameters as links carry them (quantity 1 left out). The basis stays:
    the booking form reads the hours without it."""
    if dates is None:
        return {}
    params = dates.params()
    if params.get("quantity") == "1":
        params.pop("quantity")
    return {name: value[:40] for name, value in params.items() if value}


@bp.get("/")
@bp.get("")  # registered first, so url_for gives the clean /catalog
@reads_only
def catalog() -> Response:
    # One address per page: blank parameters are redirected away before anything is read.
    # An htmx request is redirected too: the browser follows it with the same headers, so the
    # fragment comes from the clean address, and htmx pushes that address into the history.
    if (clean := _without_blank_parameters()) is not None:
        return redirect(clean, code=301)
    booking = BookingFacade()
    dates = _dates(booking)
    if dates is not None:  # free units: bookings change them, it is rendered every time
        return _catalog_page(booking, dates)
    return cached_page(lambda: _catalog_page(booking, None), moment=booking.now())


def _catalog_page(booking: BookingFacade, dates: BookingRequest | None) -> Response:
    text = request.args.get("q", "").strip()[:100]
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    filters, spec_args = _spec_filters(request.args)
    dated = dates is not None and not dates.errors and dates.period is not None
    available_only = dated and request.args.get("available") == "1"
    free: dict[str, FreeUnits] = {}

    def keep(type_ids: list[str]) -> set[str]:
        """'Available only': the matching types that can be booked for the dates."""
        assert dates is not None and dates.period is not None
        free.update(booking.free_units(type_ids, dates.period, dates.basis))
        return {type_id for type_id in type_ids if free[type_id].fits(dates.qty)}

    page = CatalogFacade().browse_catalog(
        BrowseCatalog(
            text=text,
            category_slug=request.args.get("category", "").strip(),
            spec_filters=tuple(filters),
            sort=sort,
            page=page_number(request.args.get("page")),
            page_size=PAGE_SIZE,
        ),
        keep=keep if available_only else None,
    )
    if dated and not available_only and page.result.items:
        assert dates is not None and dates.period is not None
        free = booking.free_units((t.id for t in page.result.items), dates.period, dates.basis)
    category = page.category
    carried = _carried(dates)
    # A plain search finds kits too: by their name, description or what is in them (not
    # once it is narrowed to a category or specs, which kits do not have).
    plain = text and not category and not spec_args
    kits = _matching_kits(text) if plain and page.result.page == 1 else []
    basis = "hourly" if dates is not None and not dates.is_daily else "daily"
    if dates is None and request.args.get("basis", "").strip().lower() == "hourly":
        basis = "hourly"  # the "by the hour" tab, before any time is picked
    state = {
        "q": text,
        "category": category.slug if category else "",
        "sort": sort,
        **spec_args,
        **carried,
        "basis": "hourly" if basis == "hourly" else "",
        "available": "1" if available_only else "",
    }

    def url_with(**changes: Any) -> str:
        params = {k: v for k, v in {**state, **changes}.items() if v not in ("", None)}
        if params.get("sort") == "name":
            params.pop("sort")
        if params.get("page") == 1:
            params.pop("page")
        return url_for("storefront.catalog") + ("?" + urlencode(params) if params else "")

    undated = {name: "" for name in (*PERIOD_FIELDS, "available")}
    return render(
        "storefront/browse.html",
        "results",
        status=422 if dates is not None and dates.errors else 200,
        dates=dates,
        dated=dated,
        basis=basis,
        available_only=available_only,
        free=free,
        carried=carried,
        to_type=carried if dated else {},
        earliest_day=booking.policy.earliest_day(booking.now()),
        htmx_request=is_htmx(),
        tree=page.tree,
        open_ids=_open_branch(page.tree, category.id if category else None),
        category=category,
        facets=page.facets,
        result=page.result,
        kits=kits,
        rates=PricingFacade().get_rate_cards(t.id for t in page.result.items),
        text=text,
        sort=sort,
        sorts=SORTS,
        spec_args=spec_args,
        filtering=bool(text or category or spec_args),
        url_with=url_with,
        # The dated page is the same page for search engines: its canonical has no dates.
        meta=catalog_meta(page, text, url_with(page=page.result.page, **undated)),
    )


def _matching_kits(text: str) -> list[KitDetails]:
    needle = text.casefold()
    return [
        kit
        for kit in CatalogFacade().list_kits(public_only=True)
        if needle in kit.name.casefold()
        or needle in kit.description.casefold()
        or any(needle in line.name.casefold() for line in kit.lines)
    ]


@bp.get("/kits")
@reads_only
def kits() -> Response:
    """Every kit visitors may see (active, every component active), with its prices."""
    kits = [kit for kit in CatalogFacade().list_kits(public_only=True)]
    cards = PricingFacade().get_rate_cards({t for kit in kits for t in kit.type_ids})
    booking = BookingFacade()
    dates = parse_carried(request.args, booking.policy, booking.now())
    return render(
        "storefront/kits.html",
        kits=kits,
        prices={kit.id: kit_prices(kit, cards) for kit in kits},
        dates_args=_carried(dates) if dates is not None and not dates.errors else {},
        meta=kits_meta(kits, url_for("storefront.kits")),
    )


def kit_prices(kit: KitDetails, cards: dict[str, RateCard]) -> tuple[Money, Money] | None:
    """(per started hour, per day): the kit's own rates, or the components' rates ×
    quantities minus the discount; None when a component has no price yet (no booking)."""
    if kit.rates is not None:
        if any(type_id not in cards for type_id in kit.type_ids):
            return None
        return kit.rates.hourly, kit.rates.daily
    hourly = kit.price({t: c.hourly for t, c in cards.items()})
    daily = kit.price({t: c.daily for t, c in cards.items()})
    return None if hourly is None or daily is None else (hourly, daily)


@bp.get("/kits/<slug>")
@reads_only
def kit(slug: str) -> Response:
    details = CatalogFacade().get_kit_by_slug(slug)
    if not details.public:
        abort(404, description="This kit is no longer in our catalog.")
    cards = PricingFacade().get_rate_cards(details.type_ids)
    prices = kit_prices(details, cards)
    booking = BookingFacade()
    dates = _dates(booking)
    dated = dates is not None and not dates.errors and dates.period is not None
    free: dict[str, FreeUnits] = {}
    problem: str | None = None
    if dated:
        assert dates is not None and dates.period is not None
        free = booking.free_units(details.type_ids, dates.period, dates.basis)
        problem = next((f.problem for f in free.values() if f.problem), None)
    kits_free = details.free({t: f.free for t, f in free.items()}) if dated else None
    path = url_for("storefront.kit", slug=details.slug)
    return render(
        "storefront/kit.html",
        status=422 if dates is not None and dates.errors else 200,
        kit=details,
        prices=prices,
        dates=dates,
        dated=dated,
        free=free,
        kits_free=kits_free,
        problem=problem,
        carried=_carried(dates),
        meta=kit_meta(details, prices, path),
    )


@bp.get("/<slug>")
@reads_only
def equipment_type(slug: str) -> Response:
    return cached_page(lambda: _type_page(slug), moment=BookingFacade().now())


def _type_page(slug: str) -> Response:
    catalog = CatalogFacade()
    details = catalog.get_equipment_type_by_slug(slug)
    if not details.active:
        abort(404, description="This equipment is no longer in our catalog.")
    rate_card = PricingFacade(catalog).get_rate_card(details.id)
    fleet = InventoryFacade(catalog).get_fleet_sizes([details.id])[details.id]
    path = url_for("storefront.equipment_type", slug=details.slug)
    # Dates carried from the catalog pre-fill the availability form (the booking page checks
    # them again); ones that do not parse are left behind.
    booking = BookingFacade()
    dates = parse_carried(request.args, booking.policy, booking.now())
    return render(
        "storefront/detail.html",
        details=details,
        dates_args=_carried(dates) if dates is not None and not dates.errors else {},
        rate_card=rate_card,
        similar=catalog.similar_types(details.id, limit=SIMILAR_SHOWN),
        meta=type_meta(details, rate_card, fleet, path),
    )
