"""The day-end cash-up, /admin/payments: every payment and refund recorded on one day of the
shop's time zone, with totals per method (cash, card terminal, bank transfer, other) and the
net. Staff only (everything under /admin). A day that is not a date is answered next to the
field (422), never a 500."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request

from rental.payments.facade import PaymentsFacade
from rental.shared.errors import ValidationError
from rental.shared.parsing import parse_date
from rental.shared.time_range import utcnow
from rental.shared.web import business_tz, render

bp = Blueprint("payments_cashup", __name__, url_prefix="/admin/payments")


@bp.get("")
def day() -> Response:
    tz = business_tz()
    today = utcnow().astimezone(tz).date()
    raw = request.args.get("day", "")
    try:
        chosen = parse_date(raw, field="day", label="day") or today
    except ValidationError as exc:
        return render(
            "payments/cashup.html",
            status=422,
            cash_up=None,
            today=today,
            form={"day": raw[:40]},
            errors={"day": exc.message},
        )
    return render(
        "payments/cashup.html",
        cash_up=PaymentsFacade().cash_up(chosen, tz),
        today=today,
        previous=chosen - timedelta(days=1),
        next=chosen + timedelta(days=1),
        form={"day": chosen.isoformat()},
        errors={},
    )
