"""/admin/pricing: rate cards per equipment type, with a quote preview."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for

from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.pricing.application.commands import (
    RATE_FORM_FIELDS,
    form_errors,
    rate_card_form,
    read_rate_card_form,
)
from rental.pricing.domain.models import describe_duration
from rental.pricing.facade import PricingFacade
from rental.shared.errors import InputWarning, NeedsConfirmation, ValidationError
from rental.shared.web import format_money, render

admin_bp = Blueprint("pricing_admin", __name__, url_prefix="/admin/pricing")


def rate_cells(type_ids: Sequence[str]) -> dict[str, str]:
    """The "Rates" column pricing adds to the catalog's list of equipment types (module.py)."""
    cards = PricingFacade().get_rate_cards(type_ids)
    return {
        type_id: f"{format_money(card.hourly)}/h \u00b7 {format_money(card.daily)}/day"
        for type_id, card in cards.items()
    }


@admin_bp.get("/")
def index() -> Response:
    types = CatalogFacade().search_equipment_types(
        SearchEquipmentTypes(include_inactive=True, page_size=100)
    )
    cards = PricingFacade().get_rate_cards(t.id for t in types.items)
    return render(
        "pricing/admin_index.html", types=types.items, cards=cards, describe=describe_duration
    )


def _form_page(
    type_id: str,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    warnings: list[InputWarning] | None = None,
):
    return render(
        "pricing/admin_form.html",
        "rate_form",
        status=status,
        details=CatalogFacade().get_equipment_type_details(type_id),
        form=form,
        errors=errors,
        warnings=warnings or [],
        is_new=request.args.get("new") == "1",
    )


@admin_bp.get("/<type_id>")
def edit(type_id: str) -> Response:
    card = PricingFacade().get_rate_card(type_id)
    if card:
        form = rate_card_form(card)
    else:
        form = {"currency": current_app.config.get("DEFAULT_CURRENCY", "EUR"), "minimum_hours": "1"}
    return _form_page(type_id, form, {})


@admin_bp.post("/<type_id>")
def save(type_id: str) -> Response:
    form = {k: request.form.get(k, "") for k in RATE_FORM_FIELDS}
    errors: dict[str, str] = {}
    pricing = PricingFacade()
    try:
        pricing.set_rate_card(
            read_rate_card_form(
                type_id,
                form,
                pricing.rate_card_limits(),
                # "Save anyway" sends the codes of the warnings it was shown with.
                frozenset(request.form.get("confirm", "").split()),
            )
        )
    except NeedsConfirmation as exc:
        return _form_page(type_id, form, {}, 422, warnings=exc.warnings)
    except ValidationError as exc:
        errors.update(form_errors(exc))
    if errors:
        return _form_page(type_id, form, errors, 422)
    name = CatalogFacade().get_equipment_type_details(type_id).name
    flash(f"Rates for {name} saved.", "success")
    return redirect(url_for("pricing_admin.index"), code=303)
