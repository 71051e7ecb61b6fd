"""/admin/catalog: equipment types and categories (staff). The public catalog pages show
prices too, so they are composed in rental.storefront."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for

from rental.catalog import (
    CatalogFacade,
    CreateCategory,
    DefineEquipmentType,
    DefineKit,
    DeleteCategory,
    KitComponent,
    KitRateInput,
    MoveCategory,
    RenameCategory,
    SearchEquipmentTypes,
    UpdateEquipmentType,
    UpdateKit,
    flatten,
)
from rental.catalog.domain.models import SpecKind, parse_spec_rows, spec_kind
from rental.catalog.facade import type_list_columns
from rental.shared.errors import ValidationError
from rental.shared.images.processing import ProcessedImage, process_upload
from rental.shared.images.store import ImageStorageError
from rental.shared.images.web import image_limits, read_upload
from rental.shared.parsing import page_number
from rental.shared.web import render

admin_bp = Blueprint("catalog_admin", __name__, url_prefix="/admin/catalog")


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
    ids = [t.id for t in result.items]
    # Columns other modules add (pricing: the rates), each filled with one lookup per page.
    columns = [(column, column.cells(ids)) for column in type_list_columns()]
    return render(
        "catalog/admin_index.html", "type_rows", result=result, text=text, columns=columns
    )


@admin_bp.get("/categories")
def categories() -> Response:
    return _categories_page({}, {}, 200)


def _categories_page(errors: dict[str, str], form: dict[str, str], status: int) -> Response:
    tree = CatalogFacade().get_category_tree(include_inactive=True)
    return render(
        "catalog/admin_categories.html",
        status=status,
        tree=tree,
        flat=flatten(tree),
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


def _choose_photo_again(errors: dict[str, str], new_image: object | None) -> None:
    """A form sent back with other problems loses the chosen file: say so next to it."""
    if new_image is not None and "image" not in errors:
        errors["image"] = (
            "The photo was fine, but a browser cannot keep a chosen file when the form "
            "comes back: choose it again."
        )


def _type_form(
    form: dict[str, Any],
    rows: list[tuple[str, str, str]],
    errors: dict[str, str],
    type_id: str | None,
    status: int = 200,
) -> Response:
    details = CatalogFacade().get_equipment_type_details(type_id) if type_id else None
    # Blank rows go, and a few empty ones follow. The errors' row numbers stay right: they
    # were computed on this same list without blank rows (_save_type).
    rows = [r for r in rows if r[0].strip() or r[2].strip()]
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
        image=details.image if details else None,
        type_name=details.name if details else "",
        max_upload=image_limits().max_megabytes,
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
        "image_alt": d.image_alt,
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
        "image_alt": form.get("image_alt", ""),
        "active": form.get("active") == "on",
    }
    if "more_rows" in form:  # no-JS "More rows": the form again, with empty rows below
        return _type_form(values, rows, {}, type_id)
    errors: dict[str, str] = {}
    try:
        specs = parse_spec_rows(rows)
    except ValidationError as exc:
        errors.update(exc.errors)
    # The photo: checked and re-encoded here, at the boundary; its name is never used.
    upload = read_upload("image")
    new_image: ProcessedImage | None = None
    if upload is not None:
        try:
            new_image = process_upload(*upload, limits=image_limits())
        except ValidationError as exc:
            errors["image"] = exc.message
    if not errors:
        args = dict(values, specs=specs, slug=values["slug"] or None, new_image=new_image)
        try:
            if type_id:
                remove = form.get("remove_image") == "on"
                CatalogFacade().update_equipment_type(
                    UpdateEquipmentType(type_id, remove_image=remove, **args)
                )
                target = url_for("catalog_admin.index")
            else:
                new_id = CatalogFacade().define_equipment_type(DefineEquipmentType(**args))
                # A new type cannot be booked without a price: straight on to its rates.
                target = url_for("pricing_admin.edit", type_id=new_id, new=1)
        except ValidationError as exc:
            errors.update(exc.errors or {exc.field or "name": exc.message})
        except ImageStorageError as exc:
            return _type_form(values, rows, {"image": exc.message}, type_id, status=503)
    if errors:
        _choose_photo_again(errors, new_image)
        return _type_form(values, rows, errors, type_id, status=422)
    flash(f"'{' '.join(values['name'].split())}' saved.", "success")
    return redirect(target, code=303)


@admin_bp.post("/types")
def create_type() -> Response:
    return _save_type(None)


@admin_bp.post("/types/<type_id>")
def update_type(type_id: str) -> Response:
    return _save_type(type_id)


# --- kits -------------------------------------------------------------------------------------

KIT_ROWS = 6  # component rows on the form (a kit rarely holds more; saving keeps the filled)


def _kit_form(
    form: dict[str, Any],
    rows: list[tuple[str, str]],
    errors: dict[str, str],
    kit_id: str | None,
    status: int = 200,
) -> Response:
    rows = [r for r in rows if r[0] or r[1].strip()]
    rows = rows + [("", "")] * max(KIT_ROWS - len(rows), 2)
    types = (
        CatalogFacade()
        .search_equipment_types(
            SearchEquipmentTypes(text="", include_inactive=False, page=1, page_size=500)
        )
        .items
    )
    kit = CatalogFacade().get_kit(kit_id) if kit_id else None
    return render(
        "catalog/admin_kit_form.html",
        "kit_form",
        status=status,
        form=form,
        rows=rows,
        types=types,
        errors=errors,
        kit_id=kit_id,
        image=kit.image if kit else None,
        kit_name=kit.name if kit else "",
        max_upload=image_limits().max_megabytes,
        currency=_currency(),
    )


def _currency() -> str:
    """The currency of a kit's own rates: the shop's (DEFAULT_CURRENCY), as a new rate card's."""
    return str(current_app.config.get("DEFAULT_CURRENCY", "EUR"))


RATE_FIELDS = {
    "hourly_rate": "The price per started hour is an amount, e.g. 25.00.",
    "daily_rate": "The price per day is an amount, e.g. 120.00.",
    "weekly_rate": "The price per week is an amount, e.g. 600.00 (or leave it empty).",
}


def _rates(values: dict[str, Any], errors: dict[str, str]) -> KitRateInput | None:
    """The own rates when the form chose them (None: the components less the discount); an
    amount that does not parse is reported next to its field."""
    if values["pricing"] != "rates":
        return None
    amounts: dict[str, Decimal | None] = {}
    for name, message in RATE_FIELDS.items():
        raw = values[name].replace(",", "") if values[name].count(".") == 1 else values[name]
        try:
            amount = Decimal(raw) if raw else None
            if amount is not None and not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors[name] = message
            amount = None
        amounts[name] = amount
    return KitRateInput(
        amounts["hourly_rate"], amounts["daily_rate"], amounts["weekly_rate"], _currency()
    )


@admin_bp.get("/kits")
def kits() -> Response:
    return render("catalog/admin_kits.html", kits=CatalogFacade().list_kits())


@admin_bp.get("/kits/new")
def new_kit() -> Response:
    return _kit_form({"active": True, "discount_percent": "0", "pricing": "discount"}, [], {}, None)


@admin_bp.get("/kits/<kit_id>/edit")
def edit_kit(kit_id: str) -> Response:
    kit = CatalogFacade().get_kit(kit_id)
    form = {
        "name": kit.name,
        "slug": kit.slug,
        "description": kit.description,
        "discount_percent": kit.discount_text,
        "pricing": kit.pricing,
        "hourly_rate": f"{kit.rates.hourly.amount}" if kit.rates else "",
        "daily_rate": f"{kit.rates.daily.amount}" if kit.rates else "",
        "weekly_rate": f"{kit.rates.weekly.amount}" if kit.rates and kit.rates.weekly else "",
        "image_alt": kit.image_alt,
        "active": kit.active,
    }
    rows = [(line.equipment_type_id, str(line.quantity)) for line in kit.lines]
    return _kit_form(form, rows, {}, kit_id)


def _save_kit(kit_id: str | None) -> Response:
    form = request.form
    rows = [
        (form.get(f"type-{i}", "").strip()[:36], form.get(f"quantity-{i}", "").strip()[:6])
        for i in range(50)
        if f"type-{i}" in form
    ]
    rows = [r for r in rows if r[0] or r[1]]
    values = {
        "name": form.get("name", ""),
        "slug": form.get("slug", "").strip(),
        "description": form.get("description", ""),
        "discount_percent": form.get("discount_percent", "").strip(),
        "pricing": "rates" if form.get("pricing") == "rates" else "discount",
        **{name: form.get(name, "").strip()[:40] for name in RATE_FIELDS},
        "image_alt": form.get("image_alt", ""),
        "active": form.get("active") == "on",
    }
    errors: dict[str, str] = {}
    components: list[KitComponent] = []
    for type_id, quantity in rows:
        if not type_id:
            errors["components"] = "Choose an equipment type on every row with a quantity."
            continue
        try:
            components.append(KitComponent(type_id, int(quantity or "1")))
        except ValueError:
            errors["components"] = "Quantities are whole numbers from 1 to 99."
    own_rates = _rates(values, errors)
    try:
        discount = Decimal(values["discount_percent"] or "0")
        if not discount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        if own_rates is None:  # at its own rates the discount is not used
            errors["discount_percent"] = "The discount is a percentage from 0 to 90, e.g. 10."
        discount = Decimal(0)
    args = {
        "name": values["name"],
        "slug": values["slug"] or None,
        "description": values["description"],
        "discount_percent": discount,
        "own_rates": own_rates,
        "active": values["active"],
        "components": tuple(components),
        "image_alt": values["image_alt"],
    }
    # The photo: checked and re-encoded here, at the boundary; its name is never used.
    upload = read_upload("image")
    new_image: ProcessedImage | None = None
    if upload is not None:
        try:
            new_image = process_upload(*upload, limits=image_limits())
        except ValidationError as exc:
            errors["image"] = exc.message
    if not errors:  # what did not parse: nothing is saved (the rest is checked once it does)
        try:
            if kit_id:
                remove = form.get("remove_image") == "on"
                CatalogFacade().update_kit(
                    UpdateKit(kit_id, remove_image=remove, new_image=new_image, **args)
                )
            else:
                CatalogFacade().define_kit(DefineKit(new_image=new_image, **args))
        except ValidationError as exc:
            errors.update(exc.errors or {exc.field or "name": exc.message})
        except ImageStorageError as exc:
            return _kit_form(values, rows, {"image": exc.message}, kit_id, status=503)
    if errors:
        _choose_photo_again(errors, new_image)
        return _kit_form(values, rows, errors, kit_id, status=422)
    flash(f"Kit '{' '.join(values['name'].split())}' saved.", "success")
    return redirect(url_for("catalog_admin.kits"), code=303)


@admin_bp.post("/kits")
def create_kit() -> Response:
    return _save_kit(None)


@admin_bp.post("/kits/<kit_id>")
def update_kit(kit_id: str) -> Response:
    return _save_kit(kit_id)
