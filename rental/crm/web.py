"""CRM on the staff customer page: its section (tier, points, lifetime value, last rentals,
communication preferences) and the preferences form, under /admin/crm/customers/<id>/.
Bad or tampered input is answered by the app's error pages (422, 404) — nothing is written."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from rental.crm.application.commands import UpdateCommunicationPreferences
from rental.crm.domain.preferences import FIELDS, LABELS
from rental.crm.facade import CRMFacade
from rental.customers import CustomerFacade
from rental.shared.errors import ValidationError
from rental.shared.web import current_actor

bp = Blueprint("crm_admin", __name__, url_prefix="/admin/crm")

SECTION_RENTALS = 5
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
