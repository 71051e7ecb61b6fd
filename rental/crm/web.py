"""CRM's staff pages (everything under /admin is staff-only):

    GET  /admin/crm/customers                     the customers by lifetime value (?tier=, ?page=)
    GET  /admin/crm/export/<name>.csv             a read model as CSV, for analysis
    POST /admin/crm/customers/<id>/preferences    the preferences form of the customer page

and the customer page's section (tier, points, lifetime value, last rentals, communication
preferences). Bad or tampered input is answered by the app's error pages (400, 404, 422) or a
message next to the field — nothing is written."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from rental.crm.application.commands import UpdateCommunicationPreferences
from rental.crm.domain.loyalty import Tier
from rental.crm.domain.preferences import FIELDS, LABELS
from rental.crm.facade import CRMFacade
from rental.customers import CustomerFacade
from rental.shared.errors import ValidationError
from rental.shared.parsing import page_number
from rental.shared.spreadsheet import csv_download
from rental.shared.time_range import utcnow
from rental.shared.web import current_actor, render

bp = Blueprint("crm_admin", __name__, url_prefix="/admin/crm")

SECTION_RENTALS = 5
LIST_PAGE_SIZE = 25
TIER_CHOICES = [(t.name.lower(), t.label) for t in Tier]


def _tier_filter(raw: str) -> tuple[Tier | None, str | None]:
    """The tier asked for (None: all) and the message for one that is not a tier."""
    text = raw.strip()
    if not text or text.lower() == "all":
        return None, None
    try:
        return Tier.parse(text), None
    except KeyError:
        return None, "Choose Bronze, Silver, Gold or all tiers."


@bp.get("/customers")
def high_value_customers() -> Response:
    """Customers by lifetime value, the highest first, a page at a time, one tier or all.
    A tier that is not one is answered 400 with the message next to the select (and every
    tier shown); a mangled page number shows the first page."""
    tier, tier_error = _tier_filter(request.args.get("tier", ""))
    crm = CRMFacade()
    page = crm.get_high_value_customers(
        limit=LIST_PAGE_SIZE, page=page_number(request.args.get("page")), tier=tier
    )
    return render(
        "crm/customers.html",
        status=400 if tier_error else 200,
        page=page,
        people=CustomerFacade().get_customers({c.customer_id for c in page.items}),
        tier=tier,
        tier_value=tier.name.lower() if tier is not None else "",
        tier_error=tier_error,
        tiers=TIER_CHOICES,
        exports=crm.exports(),
    )


@bp.get("/export/<name>.csv")
def export(name: str) -> Response:
    """One read model as CSV, streamed row by row (404 for a name that is not an export)."""
    found, rows = CRMFacade().export(name)
    return csv_download(f"crm-{found.name}-{utcnow():%Y-%m-%d}.csv", found.header, rows)


_TRUE, _FALSE = ("1", "on", "yes", "true"), ("0", "off", "no", "false", "")


def customer_crm_section(customer_id: str) -> str:
    """The customer page's "Relationship" section, rendered by CRM."""
    crm = CRMFacade()
    return render_template(
        "crm/_customer_section.html",
        customer_id=customer_id,
        loyalty=crm.get_customer_loyalty_status(customer_id),
        clv=crm.get_customer_lifetime_value(customer_id),
        history=crm.get_customer_rental_history(customer_id, 1, SECTION_RENTALS),
        preferences=crm.get_preferences(customer_id),
        fields=FIELDS,
        labels=LABELS,
    )


def _checkbox(name: str) -> bool:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise ValidationError(f"{LABELS[name]}: one value only.", field=name)
    raw = (values[0] if values else "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValidationError(f"{LABELS[name]}: tick the box or leave it empty.", field=name)


@bp.post("/customers/<customer_id>/preferences")
def update_preferences(customer_id: str) -> Response:
    customer = CustomerFacade().get_customer_by_id(customer_id)  # 404 for an unknown one
    flags = {name: _checkbox(name) for name in FIELDS}
    changed = CRMFacade().update_communication_preferences(
        UpdateCommunicationPreferences(
            customer_id=customer.id, source=f"staff:{current_actor()}", **flags
        )
    )
    if changed:
        flash(
            "Communication preferences saved: "
            + ", ".join(f"{LABELS[f]} {'on' if v else 'off'}" for f, v in changed)
            + ".",
            "success",
        )
    else:
        flash("Communication preferences unchanged.", "info")
    return redirect(url_for("customers.show", customer_id=customer.id) + "#customer-crm", 303)
