"""Catalog pages: the public catalog (browse, search, detail) and /admin/catalog."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, redirect, request, url_for

from rental.catalog import (
    CatalogFacade,
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    MoveCategory,
    RenameCategory,
    SearchEquipmentTypes,
    SpecFilter,
    UpdateEquipmentType,
)
from rental.catalog.domain.models import SpecKind, parse_spec_rows, spec_kind
from rental.pricing import PricingFacade
from rental.shared.errors import ValidationError
from rental.shared.parsing import page_number, parse_decimal
from rental.shared.web import render

public_bp = Blueprint("catalog", __name__, url_prefix="/catalog")
admin_bp = Blueprint("catalog_admin", __name__, url_prefix="/admin/catalog")

PAGE_SIZE = 12
SORTS = {"name": "Name A\u2013Z", "name_desc": "Name Z\u2013A", "newest": "Newest first"}


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


def _open_branch(nodes: list[Any], target: str | None) -> set[str]:
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


# --- public -----------------------------------------------------------------------------------


@public_bp.get("/")
@public_bp.get("")  # registered first, so url_for gives the clean /catalog
def browse() -> Response:
    catalog = CatalogFacade()
    text = request.args.get("q", "").strip()[:100]
    category_slug = request.args.get("category", "").strip()
    category = catalog.get_category_by_slug(category_slug) if category_slug else None
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    filters, spec_args = _spec_filters(request.args)
    result = catalog.search_equipment_types(
        SearchEquipmentTypes(
            text=text,
            category_id=category.id if category else None,
            spec_filters=tuple(filters),
            sort=sort,
            page=page_number(request.args.get("page")),
            page_size=PAGE_SIZE,
        )
    )
    state = {"q": text, "category": category.slug if category else "", "sort": sort, **spec_args}

    def url_with(**changes: Any) -> str:
        params = {k: v for k, v in {**state, **changes}.items() if v not in ("", None)}
        if params.get("sort") == "name":
            params.pop("sort")
        if params.get("page") == 1:
            params.pop("page")
        return url_for("catalog.browse") + ("?" + urlencode(params) if params else "")

    rates = PricingFacade().get_rate_cards(t.id for t in result.items)
    tree = catalog.get_category_tree()
    return render(
        "catalog/browse.html",
        "results",
        tree=tree,
        open_ids=_open_branch(tree, category.id if category else None),
        category=category,
        facets=catalog.get_spec_facets(category.id if category else None),
        result=result,
        rates=rates,
        text=text,
        sort=sort,
        sorts=SORTS,
        spec_args=spec_args,
        filtering=bool(text or category or spec_args),
        url_with=url_with,
    )


@public_bp.get("/<slug>")
def detail(slug: str) -> Response:
    catalog = CatalogFacade()
    details = catalog.get_equipment_type_by_slug(slug)
    if not details.active:
        abort(404, description="This equipment is no longer in our catalog.")
    similar = [
        s for s in catalog.list_active_types_in_category(details.category_id) if s.id != details.id
    ]
    return render(
        "catalog/detail.html",
        details=details,
        rate_card=PricingFacade().get_rate_card(details.id),
        similar=similar[:4],
    )


# --- admin ------------------------------------------------------------------------------------


@admin_bp.get("/")
def index() -> Response:
    catalog = CatalogFacade()
    text = request.args.get("q", "").strip()[:100]
    result = catalog.search_equipment_types(
        SearchEquipmentTypes(
            text=text,
            include_inactive=True,
            page=page_number(request.args.get("page")),
            page_size=50,
        )
    )
    rates = PricingFacade().get_rate_cards(t.id for t in result.items)
    return render("catalog/admin_index.html", "type_rows", result=result, text=text, rates=rates)


@admin_bp.get("/categories")
def categories() -> Response:
    catalog = CatalogFacade()
    return render(
        "catalog/admin_categories.html",
        tree=catalog.get_category_tree(include_inactive=True),
        flat=catalog.list_categories(),
        errors={},
        form={},
    )


def _categories_page(errors: dict[str, str], form: dict[str, str], status: int) -> Response:
    catalog = CatalogFacade()
    return render(
        "catalog/admin_categories.html",
        status=status,
        tree=catalog.get_category_tree(include_inactive=True),
        flat=catalog.list_categories(),
        errors=errors,
        form=form,
    )


@admin_bp.post("/categories")
def create_category() -> Response:
    form = request.form
    try:
        CatalogFacade().create_category(
            CreateCategory(name=form.get("name", ""), parent_id=form.get("parent_id") or None)
        )
    except ValidationError as exc:
        return _categories_page(exc.errors or {"name": exc.message}, dict(form), 422)
    flash(f"Category '{' '.join(form.get('name', '').split())}' created.", "success")
    return redirect(url_for("catalog_admin.categories"), code=303)


@admin_bp.post("/categories/<category_id>/rename")
def rename_category(category_id: str) -> Response:
    try:
        CatalogFacade().rename_category(RenameCategory(category_id, request.form.get("name", "")))
    except ValidationError as exc:
        return _categories_page({f"rename-{category_id}": exc.message}, {}, 422)
    flash("Category renamed.", "success")
    return redirect(url_for("catalog_admin.categories"), code=303)


@admin_bp.post("/categories/<category_id>/move")
def move_category(category_id: str) -> Response:
    try:
        CatalogFacade().move_category(
            MoveCategory(category_id, request.form.get("parent_id") or None)
        )
    except ValidationError as exc:
        return _categories_page({f"move-{category_id}": exc.message}, {}, 422)
    flash("Category moved.", "success")
    return redirect(url_for("catalog_admin.categories"), code=303)


@admin_bp.post("/categories/<category_id>/delete")
def delete_category(category_id: str) -> Response:
    CatalogFacade().delete_category(DeleteCategory(category_id))
    flash("Category deleted.", "success")
    return redirect(url_for("catalog_admin.categories"), code=303)


EXTRA_SPEC_ROWS = 3


def _spec_rows_from_form(form: Any) -> list[tuple[str, str, str]]:
    rows = []
    index = 0
    while f"spec_key-{index}" in form or f"spec_value-{index}" in form:
        rows.append(
            (
                form.get(f"spec_key-{index}", ""),
                form.get(f"spec_kind-{index}", "text"),
                form.get(f"spec_value-{index}", ""),
            )
        )
        index += 1
    return rows


def _spec_rows_from_specs(specs: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for key, value in specs.items():
        kind = spec_kind(value)
        shown = ("yes" if value else "no") if kind is SpecKind.YES_NO else str(value)
        rows.append((key, kind.value, shown))
    return rows


def _type_form(
    form: dict[str, Any],
    rows: list[tuple[str, str, str]],
    errors: dict[str, str],
    type_id: str | None,
    status: int = 200,
) -> Response:
    rows = [r for r in rows if r[0].strip() or r[2].strip()]
    # Keep faulty rows' indexes stable: re-number errors after dropping blank rows is not
    # needed because the errors were computed on the same filtered list.
    rows = rows + [("", "number", "")] * EXTRA_SPEC_ROWS
    return render(
        "catalog/admin_type_form.html",
        "type_form",
        status=status,
        form=form,
        spec_rows=rows,
        kinds=list(SpecKind),
        errors=errors,
        type_id=type_id,
        categories=CatalogFacade().list_categories(),
    )


@admin_bp.get("/types/new")
def new_type() -> Response:
    return _type_form(
        {"active": True, "category_id": request.args.get("category", "")}, [], {}, None
    )


@admin_bp.get("/types/<type_id>/edit")
def edit_type(type_id: str) -> Response:
    d = CatalogFacade().get_equipment_type_details(type_id)
    form = {
        "name": d.name,
        "slug": d.slug,
        "category_id": d.category_id,
        "short_description": d.short_description,
        "description": d.description,
        "image_url": d.image_url or "",
        "active": d.active,
    }
    return _type_form(form, _spec_rows_from_specs(d.specs), {}, type_id)


def _save_type(type_id: str | None) -> Response:
    form = request.form
    rows = [r for r in _spec_rows_from_form(form) if r[0].strip() or r[2].strip()]
    values = {
        "name": form.get("name", ""),
        "slug": form.get("slug", "").strip(),
        "category_id": form.get("category_id", ""),
        "short_description": form.get("short_description", ""),
        "description": form.get("description", ""),
        "image_url": form.get("image_url", ""),
        "active": form.get("active") == "on",
    }
    if "more_rows" in form:  # no-JS "add rows": show the form again with the typed values
        return _type_form(values, rows + [("", "number", "")] * 3, {}, type_id)
    errors: dict[str, str] = {}
    specs: dict[str, Any] = {}
    try:
        specs = parse_spec_rows(rows)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        if errors:
            raise ValidationError("Some specifications need fixing.", errors={})
        args = dict(values, specs=specs, slug=values["slug"] or None)
        if type_id:
            CatalogFacade().update_equipment_type(UpdateEquipmentType(type_id, **args))
            saved_id = type_id
        else:
            saved_id = CatalogFacade().define_equipment_type(DefineEquipmentType(**args))
    except ValidationError as exc:
        errors.update(exc.errors or ({} if errors else {"name": exc.message}))
        return _type_form(values, rows, errors, type_id, status=422)
    flash(f"'{' '.join(values['name'].split())}' saved.", "success")
    target = url_for("catalog_admin.index")
    if not type_id:
        target = url_for("pricing_admin.edit", type_id=saved_id, new=1)
    response = redirect(target, code=303)
    return response


@admin_bp.post("/types")
def create_type() -> Response:
    return _save_type(None)


@admin_bp.post("/types/<type_id>")
def update_type(type_id: str) -> Response:
    return _save_type(type_id)
