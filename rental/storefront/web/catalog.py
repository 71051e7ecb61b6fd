"""The public catalog: /catalog (search, category, spec filters, pages) and /catalog/<slug>,
with each type's prices. Parse → facades (catalog, pricing, inventory) → render, with what
search engines read about the page (seo.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, request, url_for

from rental.catalog import SORTS, BrowseCatalog, CatalogFacade, CategoryNode, SpecFilter
from rental.inventory import InventoryFacade
from rental.pricing import PricingFacade
from rental.shared.errors import ValidationError
from rental.shared.parsing import page_number, parse_decimal
from rental.shared.web import render
from rental.storefront.web.seo import catalog_meta, type_meta

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


@bp.get("/")
@bp.get("")  # registered first, so url_for gives the clean /catalog
def catalog() -> Response:
    # One address per page: blank parameters are redirected away before anything is read.
    # An htmx request is redirected too: the browser follows it with the same headers, so the
    # fragment comes from the clean address, and htmx pushes that address into the history.
    if (clean := _without_blank_parameters()) is not None:
        return redirect(clean, code=301)
    text = request.args.get("q", "").strip()[:100]
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    filters, spec_args = _spec_filters(request.args)
    page = CatalogFacade().browse_catalog(
        BrowseCatalog(
            text=text,
            category_slug=request.args.get("category", "").strip(),
            spec_filters=tuple(filters),
            sort=sort,
            page=page_number(request.args.get("page")),
            page_size=PAGE_SIZE,
        )
    )
    category = page.category
    state = {"q": text, "category": category.slug if category else "", "sort": sort, **spec_args}

    def url_with(**changes: Any) -> str:
        params = {k: v for k, v in {**state, **changes}.items() if v not in ("", None)}
        if params.get("sort") == "name":
            params.pop("sort")
        if params.get("page") == 1:
            params.pop("page")
        return url_for("storefront.catalog") + ("?" + urlencode(params) if params else "")

    return render(
        "storefront/browse.html",
        "results",
        tree=page.tree,
        open_ids=_open_branch(page.tree, category.id if category else None),
        category=category,
        facets=page.facets,
        result=page.result,
        rates=PricingFacade().get_rate_cards(t.id for t in page.result.items),
        text=text,
        sort=sort,
        sorts=SORTS,
        spec_args=spec_args,
        filtering=bool(text or category or spec_args),
        url_with=url_with,
        meta=catalog_meta(page, text, url_with(page=page.result.page)),
    )


@bp.get("/<slug>")
def equipment_type(slug: str) -> Response:
    catalog = CatalogFacade()
    details = catalog.get_equipment_type_by_slug(slug)
    if not details.active:
        abort(404, description="This equipment is no longer in our catalog.")
    rate_card = PricingFacade(catalog).get_rate_card(details.id)
    fleet = InventoryFacade(catalog).get_fleet_sizes([details.id])[details.id]
    path = url_for("storefront.equipment_type", slug=details.slug)
    return render(
        "storefront/detail.html",
        details=details,
        rate_card=rate_card,
        similar=catalog.similar_types(details.id, limit=SIMILAR_SHOWN),
        meta=type_meta(details, rate_card, fleet, path),
    )
