"""The customer's "E-mails and messages" on the manage page (/r/<reference>/<token>): which
messages they agree to receive (marketing e-mail, SMS, newsletter; all off until they tick
one). The token proves the booking, and the booking's customer is whose preferences change;
CRM keeps them and logs each change with the source `customer`. Tampered or repeated values
are answered 422 with the manage page and the message: nothing changes."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for

from rental.booking.web.blueprints import bp
from rental.booking.web.journey import TOKEN_PAGES, _manage_context
from rental.crm import CRMFacade, UpdateCommunicationPreferences
from rental.shared.errors import ValidationError
from rental.shared.web import render

TOKEN_PAGES.add("booking.update_contact_preferences")

FIELDS = ("marketing_email", "sms", "newsletter")
LABELS = {"marketing_email": "Marketing e-mail", "sms": "SMS", "newsletter": "Newsletter"}
_ON, _OFF = ("1", "on", "yes", "true"), ("", "0", "off", "no", "false")


def _ticked(name: str) -> bool:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise ValidationError(f"{LABELS[name]}: one value only.", field=name)
    raw = (values[0] if values else "").strip().lower()
    if raw in _ON:
        return True
    if raw in _OFF:
        return False
    raise ValidationError(f"{LABELS[name]}: tick the box or leave it empty.", field=name)


@bp.post("/r/<reference>/<token>/preferences")
def update_contact_preferences(reference: str, token: str) -> Response:
    context = _manage_context(reference, token)  # 404 unless the token proves this booking
    customer_id = context["reservation"].customer_id
    try:
        flags = {name: _ticked(name) for name in FIELDS}
        changed = CRMFacade().update_communication_preferences(
            UpdateCommunicationPreferences(customer_id=customer_id, source="customer", **flags)
        )
    except ValidationError as exc:
        return render("booking/manage.html", status=422, error=exc.message, **context)
    if changed:
        flash(
            "Saved: " + ", ".join(f"{LABELS[f]} {'on' if v else 'off'}" for f, v in changed) + ".",
            "success",
        )
    else:
        flash("Your choices are unchanged.", "info")
    url = url_for("booking.manage", reference=reference, token=token)
    return redirect(url + "#contact-preferences", code=303)
