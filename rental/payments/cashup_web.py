"""The day-end cash-up, /admin/payments: every payment and refund recorded on one day of the
shop's time zone, with totals per method (cash, card terminal, bank transfer, other) and the
net. Staff only (everything under /admin). A day that is not a date is answered next to the
field (422), never a 500. /admin/payments/export.csv?day= gives the day's entries as CSV."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import Blueprint, Response, request

from rental.payments.facade import PaymentsFacade
from rental.shared.errors import ValidationError
from rental.shared.parsing import parse_date
from rental.shared.spreadsheet import csv_download
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


EXPORT_HEADER = (
    "Entry ID",
    "Recorded at (UTC)",
    "Recorded at (local)",
    "Order reference",
    "Order ID",
    "Kind",
    "Account",
    "Method",
    "Amount",
    "Currency",
    "Reference",
    "Recorded by",
    "Counted",
)


@bp.get("/export.csv")
def export() -> Response:
    """The day's payments and refunds (the page's `day`; today without one) as CSV, streamed a
    batch at a time. Amounts signed as in the till: payments +, refunds −. A day that is not
    a date is answered as the page answers it (422)."""
    tz = business_tz()
    chosen = parse_date(request.args.get("day", ""), field="day", label="day")
    chosen = chosen or utcnow().astimezone(tz).date()
    rows = (
        (
            e.id,
            e.at.astimezone(UTC).isoformat(),
            e.at.astimezone(tz).isoformat(),
            e.order_reference,
            e.order_id,
            e.what,
            e.account.capitalize(),
            e.method_label if e.method else "",
            f"{e.signed.amount:.2f}",
            e.signed.currency,
            e.reference,
            e.actor,
            "yes" if e.counted else "no",
        )
        for batch in PaymentsFacade().export_cash_up(chosen, tz)
        for e in batch
    )
    return csv_download(f"payments-{chosen.isoformat()}.csv", EXPORT_HEADER, rows)
