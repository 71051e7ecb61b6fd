"""/admin/inventory: stock per type, item registration (single and bulk), item pages."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.inventory import (
    DAMAGED,
    ITEMS_CSV_HEADER,
    STATUSES,
    CancelMaintenance,
    ChangeItemStatus,
    InventoryFacade,
    MarkEquipmentAsDamaged,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
)
from rental.shared.errors import ConflictError, NeedsConfirmation, ValidationError
from rental.shared.parsing import parse_date, parse_local_datetime
from rental.shared.spreadsheet import csv_download
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import (
    business_tz,
    confirm_warnings,
    confirmed_codes,
    current_actor,
    render,
)

admin_bp = Blueprint("inventory_admin", __name__, url_prefix="/admin/inventory")


def _moment(raw: str, field: str, label: str) -> datetime:
    """A datetime-local value ('2026-11-28T09:00') in the business time zone -> aware."""
    moment = parse_local_datetime(raw, business_tz(), field=field, label=label)
    if moment is None:
        raise ValidationError(f"Give the {label} as a date and time.", field=field)
    return moment


def _acquired_on(raw: str, field: str = "acquired_on") -> date | None:
    # Equipment bought long ago is still in service: the calendar starts earlier here.
    return parse_date(raw, field=field, label="acquisition date", min_year=1900)


@admin_bp.get("/")
def index() -> Response:
    types = CatalogFacade().search_equipment_types(
        SearchEquipmentTypes(include_inactive=True, page_size=100)
    )
    stock = InventoryFacade().get_stock()
    return render("inventory/admin_index.html", types=types.items, stock=stock, statuses=STATUSES)


@admin_bp.get("/items.csv")
def export_items() -> Response:
    """The items as CSV (ITEMS_CSV_HEADER: what the admin import reads), filtered as the
    type page is (`type`, `status`; a status that is not
    one is ignored, as there), streamed a batch at a time."""
    type_id = request.args.get("type", "").strip()[:36] or None
    status = request.args.get("status", "")
    catalog = CatalogFacade()

    def rows():
        for batch in InventoryFacade().export_items(
            type_id, status if status in STATUSES else None
        ):
            names = catalog.get_equipment_type_summaries({i.equipment_type_id for i in batch})
            for i in batch:
                kind = names.get(i.equipment_type_id)
                yield (
                    i.id,
                    i.serial_number,
                    i.equipment_type_id,
                    kind.slug if kind else "",
                    kind.name if kind else "",
                    i.status.capitalize(),
                    i.location,
                    i.acquired_on.isoformat() if i.acquired_on else "",
                    i.notes,
                )

    return csv_download(f"items-{utcnow():%Y-%m-%d}.csv", ITEMS_CSV_HEADER, rows())


def _type_page(type_id: str, status: int = 200, **context) -> Response:
    details = CatalogFacade().get_equipment_type_details(type_id)
    inventory = InventoryFacade()
    status_filter = request.args.get("status", "")
    status_filter = status_filter if status_filter in STATUSES else ""
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.setdefault("bulk", None)
    return render(
        "inventory/admin_type.html",
        status=status,
        details=details,
        items=inventory.list_items(type_id, status_filter or None),
        stock=inventory.get_stock(type_id).get(type_id),
        statuses=STATUSES,
        status_filter=status_filter,
        **context,
    )


@admin_bp.get("/types/<type_id>")
def type_items(type_id: str) -> Response:
    return _type_page(type_id)


@admin_bp.post("/types/<type_id>/items")
def register(type_id: str) -> Response:
    form = request.form
    try:
        InventoryFacade().register_new_equipment(
            RegisterEquipment(
                equipment_type_id=type_id,
                serial_number=form.get("serial_number", ""),
                acquired_on=_acquired_on(form.get("acquired_on", "")),
                location=form.get("location", ""),
                notes=form.get("notes", ""),
                actor=current_actor(),
            )
        )
    except ValidationError as exc:
        return _type_page(
            type_id, 422, errors=exc.errors or {"serial_number": exc.message}, form=dict(form)
        )
    flash(f"Registered {form.get('serial_number', '').strip().upper()}.", "success")
    return redirect(url_for("inventory_admin.type_items", type_id=type_id), code=303)


@admin_bp.post("/types/<type_id>/bulk")
def register_bulk(type_id: str) -> Response:
    form = request.form
    lines = form.get("serial_numbers", "").splitlines()
    try:
        result = InventoryFacade().register_equipment_bulk(
            RegisterEquipmentBulk(
                equipment_type_id=type_id,
                serial_numbers=lines,
                acquired_on=_acquired_on(form.get("bulk_acquired_on", "")),
                location=form.get("bulk_location", ""),
                actor=current_actor(),
            )
        )
    except ValidationError as exc:
        field = "bulk_acquired_on" if exc.field == "acquired_on" else "serial_numbers"
        return _type_page(type_id, 422, errors={field: exc.message}, form=dict(form))
    if not result.errors:
        count = len(result.registered)
        flash(f"Registered {count} item{'s' if count != 1 else ''}.", "success")
        return redirect(url_for("inventory_admin.type_items", type_id=type_id), code=303)
    # Keep only the faulty lines in the box so they can be fixed and sent again.
    remaining = "\n".join(e.text for e in result.errors)
    return _type_page(
        type_id,
        422,
        bulk=result,
        form={**form, "serial_numbers": remaining},
        errors={"serial_numbers": f"{len(result.errors)} line(s) need attention."},
    )


def _item_page(item_id: str, status: int = 200, errors=None, form=None) -> Response:
    item = InventoryFacade().get_item(item_id)
    details = CatalogFacade().get_equipment_type_details(item.equipment_type_id)
    return render(
        "inventory/admin_item.html",
        status=status,
        item=item,
        details=details,
        errors=errors or {},
        form=form or {},
    )


@admin_bp.get("/items/<item_id>")
def item(item_id: str) -> Response:
    return _item_page(item_id)


@admin_bp.post("/items/<item_id>/status")
def change_status(item_id: str) -> Response:
    form = request.form
    item_id = InventoryFacade().get_item(item_id).id  # 404 if unknown; redirect to a real item
    confirmed = confirmed_codes(form)
    try:
        back = _optional_moment(form.get("expected_back_at", ""), "expected_back_at")
        if form.get("to_status") == DAMAGED:
            outcome = InventoryFacade().mark_equipment_as_damaged(
                MarkEquipmentAsDamaged(
                    item_id, form.get("reason", ""), current_actor(), back, confirmed
                )
            )
        else:
            outcome = InventoryFacade().change_item_status(
                ChangeItemStatus(
                    item_id,
                    form.get("to_status", ""),
                    form.get("reason", ""),
                    current_actor(),
                    back,
                    confirmed,
                )
            )
    except NeedsConfirmation as exc:
        return _confirm(exc, "Change the status?", "inventory_admin.change_status", item_id)
    except (ValidationError, ConflictError) as exc:
        known = ("reason", "to_status", "expected_back_at")
        field = exc.field if exc.field in known else "to_status"
        return _item_page(item_id, exc.status_code, errors={field: exc.message}, form=dict(form))
    flash(f"Status changed. {outcome.summary()}".strip(), "success")
    return redirect(url_for("inventory_admin.item", item_id=item_id), code=303)


def _optional_moment(raw: str, field: str) -> datetime | None:
    label = "expected return" if field == "expected_back_at" else field
    return parse_local_datetime(raw, business_tz(), field=field, label=label)


def _confirm(exc: NeedsConfirmation, title: str, endpoint: str, item_id: str) -> Response:
    return confirm_warnings(
        exc.warnings,
        title=title,
        action=url_for(endpoint, item_id=item_id),
        fields=request.form.to_dict(),
        back=url_for("inventory_admin.item", item_id=item_id),
    )


@admin_bp.post("/items/<item_id>/maintenance")
def schedule_maintenance(item_id: str) -> Response:
    form = request.form
    item_id = InventoryFacade().get_item(item_id).id  # 404 if unknown; redirect to a real item
    try:
        start = _moment(form.get("start", ""), "start", "start")
        end = _moment(form.get("end", ""), "end", "end")
        InventoryFacade().schedule_maintenance(
            ScheduleMaintenance(
                item_id,
                TimeRange(start, end),
                form.get("maint_reason", ""),
                current_actor(),
                confirmed_codes(form),
            )
        )
    except NeedsConfirmation as exc:
        return _confirm(
            exc, "Schedule this maintenance?", "inventory_admin.schedule_maintenance", item_id
        )
    except (ValidationError, ConflictError) as exc:
        field = {"reason": "maint_reason", "end": "end"}.get(exc.field or "", "start")
        return _item_page(item_id, exc.status_code, errors={field: exc.message}, form=dict(form))
    flash("Maintenance scheduled.", "success")
    return redirect(url_for("inventory_admin.item", item_id=item_id), code=303)


@admin_bp.post("/items/<item_id>/maintenance/<window_id>/cancel")
def cancel_maintenance(item_id: str, window_id: str) -> Response:
    item_id = InventoryFacade().get_item(item_id).id  # 404 if unknown; redirect to a real item
    InventoryFacade().cancel_maintenance(CancelMaintenance(window_id))
    flash("Maintenance window removed.", "success")
    return redirect(url_for("inventory_admin.item", item_id=item_id), code=303)
