"""/admin/shop: the shop's settings on one page (staff see them; administrators change them),
and what every page template may ask about the shop (`shop_settings()`)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.shared.errors import ValidationError
from rental.shared.web import admin_only, render
from rental.shop.application.commands import SaveShopSettings
from rental.shop.domain.models import WEEKDAYS, ShopSettings
from rental.shop.facade import ShopFacade

admin_bp = Blueprint("shop_admin", __name__, url_prefix="/admin/shop")

TEXT_FIELDS = (
    "name",
    "address",
    "phone",
    "email",
    "closed_dates",
    "pickup_rules",
    "terms",
    "loyalty_silver",
    "loyalty_gold",
)


def shop_settings() -> ShopSettings:
    """For templates (the footer, the type, review and confirmation pages): read once per
    request."""
    return ShopFacade().get_settings()


def _form_of(settings: ShopSettings) -> dict[str, str]:
    form = {
        "name": settings.name,
        "address": settings.address,
        "phone": settings.phone,
        "email": settings.email,
        "closed_dates": "\n".join(d.isoformat() for d in sorted(settings.hours.closed_dates)),
        "pickup_rules": settings.pickup_rules,
        "terms": settings.terms,
        "loyalty_silver": str(settings.loyalty_silver_percent),
        "loyalty_gold": str(settings.loyalty_gold_percent),
    }
    for index, hours in enumerate(settings.hours.week):
        form[f"opens_{index}"] = f"{hours.opens:%H:%M}" if hours else ""
        form[f"closes_{index}"] = f"{hours.closes:%H:%M}" if hours else ""
    return form


def _page(form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return render(
        "shop/admin_settings.html",
        "settings_form",
        status=status,
        form=form,
        errors=errors,
        weekdays=list(enumerate(WEEKDAYS)),
    )


@admin_bp.get("/")
def settings() -> Response:
    return _page(_form_of(ShopFacade().get_settings()), {})


@admin_bp.post("/")
@admin_only
def save() -> Response:
    form = {name: request.form.get(name, "") for name in TEXT_FIELDS}
    for index in range(7):
        for part in ("opens", "closes"):
            form[f"{part}_{index}"] = request.form.get(f"{part}_{index}", "")
    week = tuple((form[f"opens_{i}"], form[f"closes_{i}"]) for i in range(7))
    try:
        ShopFacade().save_settings(
            SaveShopSettings(week=week, **{name: form[name] for name in TEXT_FIELDS})
        )
    except ValidationError as exc:
        return _page(form, exc.errors or {"name": exc.message}, 422)
    flash("Shop settings saved.", "success")
    return redirect(url_for("shop_admin.settings"), code=303)
