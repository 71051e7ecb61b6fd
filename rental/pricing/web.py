"""/admin/pricing: rate cards per equipment type, with a quote preview."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for

from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.pricing.application.commands import SetRateCard
from rental.pricing.domain.models import describe_duration, minimum_from_hours
from rental.pricing.facade import PricingFacade
from rental.shared.errors import InputWarning, NeedsConfirmation, ValidationError
from rental.shared.parsing import parse_decimal
from rental.shared.web import format_money, render

admin_bp = Blueprint("pricing_admin", __name__, url_prefix="/admin/pricing")

# What the form accepts at all: numbers a Decimal holds exactly. The rate card's own rules
# (rental.pricing.domain.models.new_rate_card) then say what is allowed, in their own words.
MAX_AMOUNT = Decimal(10) ** 30
MAX_MINIMUM_HOURS = Decimal(10) ** 30


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
        minutes = int(card.minimum_duration.total_seconds() // 60)
        form = {
            "hourly": str(card.hourly.amount),
            "daily": str(card.daily.amount),
            "weekly": str(card.weekly.amount) if card.weekly else "",
            "deposit": str(card.deposit.amount) if card.deposit else "",
            "currency": card.currency,
            "minimum_hours": f"{minutes / 60:g}",
        }
    else:
        form = {"currency": current_app.config.get("DEFAULT_CURRENCY", "EUR"), "minimum_hours": "1"}
    return _form_page(type_id, form, {})


@admin_bp.post("/<type_id>")
def save(type_id: str) -> Response:
    form = {
        k: request.form.get(k, "")
        for k in ("hourly", "daily", "weekly", "deposit", "currency", "minimum_hours")
    }
    errors: dict[str, str] = {}

    def amount(name: str, label: str, required: bool) -> Decimal | None:
        try:
            value = parse_decimal(
                form[name], field=name, label=label, minimum=Decimal(0), maximum=MAX_AMOUNT
            )
        except ValidationError as exc:
            errors[name] = exc.message
            return None
        if value is None and required:
            errors[name] = f"Give the {label}."
        return value

    hourly = amount("hourly", "hourly rate", True)
    daily = amount("daily", "daily rate", True)
    weekly = amount("weekly", "weekly rate", False)
    deposit = amount("deposit", "deposit", False)
    minimum = None
    try:
        minimum = parse_decimal(
            form["minimum_hours"] or "0",
            field="minimum_hours",
            label="minimum rental in hours",
            minimum=Decimal(0),
            maximum=MAX_MINIMUM_HOURS,
            places=2,
        )
    except ValidationError as exc:
        errors["minimum_hours"] = exc.message
    if not errors:
        pricing = PricingFacade()
        try:
            pricing.set_rate_card(
                SetRateCard(
                    equipment_type_id=type_id,
                    hourly=hourly,  # type: ignore[arg-type]
                    daily=daily,  # type: ignore[arg-type]
                    weekly=weekly,
                    currency=form["currency"],
                    minimum_duration=minimum_from_hours(
                        minimum or Decimal(0), pricing.rate_card_limits()
                    ),
                    deposit=deposit,
                    # "Save anyway" sends the codes of the warnings it was shown with.
                    confirmed_warnings=frozenset(request.form.get("confirm", "").split()),
                )
            )
        except NeedsConfirmation as exc:
            return _form_page(type_id, form, {}, 422, warnings=exc.warnings)
        except ValidationError as exc:
            mapped = {
                ("minimum_hours" if k == "minimum_duration" else k): v
                for k, v in (exc.errors or {"hourly": exc.message}).items()
            }
            errors.update(mapped)
    if errors:
        return _form_page(type_id, form, errors, 422)
    name = CatalogFacade().get_equipment_type_details(type_id).name
    flash(f"Rates for {name} saved.", "success")
    return redirect(url_for("pricing_admin.index"), code=303)
