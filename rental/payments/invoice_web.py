"""Staff pages of invoices and credit notes (everything under /admin is staff-only):

    GET  /admin/invoices                         the list: year/month, kind, search, pages
    GET  /admin/invoices/export.csv              the filtered list as CSV (streamed)
    GET  /admin/invoices/<id>                    the printable page (print CSS)
    GET  /admin/invoices/<id>/pdf                the PDF (WeasyPrint)
    POST /admin/invoices/<id>/credit-note        a credit note (a refund: amount and reason)
    POST /admin/payments/orders/<order>/invoice  "Issue invoice" on the Money panel
    POST /admin/payments/orders/<order>/invoice/reissue   credit note + new invoice

`document_page` and `document_pdf` also serve the customer's copies (Booking's manage link
checks the token and that the document is of the order)."""

from __future__ import annotations

import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)

from rental.payments.domain.invoices import Document, DocumentKind
from rental.payments.domain.ledger import MAX_AMOUNT
from rental.payments.infrastructure.invoice_pdf import document_filename, document_pdf_bytes
from rental.payments.invoice_facade import InvoiceFacade
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.parsing import parse_decimal
from rental.shared.spreadsheet import csv_download, csv_money
from rental.shared.time_range import utcnow
from rental.shared.web import current_actor, render

bp = Blueprint("invoices_admin", __name__, url_prefix="/admin")

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,6}")  # ASCII digits only (str.isdigit also takes '²')


def _number(raw: str) -> int | None:
    return int(raw) if _DIGITS.fullmatch(raw) else None


PER_PAGE = 25
KINDS = {"invoice": "Invoices", "credit_note": "Credit notes"}


# --- rendering (also for the customer's copies) ---------------------------------------------


def document_page(document: Document, *, pdf_url: str, back_url: str | None = None) -> Response:
    return render(
        "payments/invoice.html", document=document, pdf_url=pdf_url, back_url=back_url, pdf=False
    )


def document_pdf(document: Document, *, download: bool = False) -> Response:
    response = Response(document_pdf_bytes(document), mimetype="application/pdf")
    disposition = "attachment" if download else "inline"
    name = document_filename(document)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _document(document_id: str) -> Document:
    document = InvoiceFacade().get_document(document_id) if _ID.fullmatch(document_id) else None
    if document is None:
        raise NotFoundError("There is no such invoice or credit note.")
    return document


# --- the list ------------------------------------------------------------------------------


def _filters() -> tuple[dict[str, str], dict[str, object], dict[str, str]]:
    """What the list's form sent (as typed), what the query takes, and errors by field."""
    raw = {k: (request.args.get(k) or "").strip() for k in ("year", "month", "kind", "q")}
    errors: dict[str, str] = {}
    start = end = None
    year = month = None
    if raw["year"]:
        year = _number(raw["year"])
        if year is None or not 2000 <= year <= 2999:
            year = None
            errors["year"] = "A year such as 2026."
    if raw["month"]:
        month = _number(raw["month"])
        if month is None or not 1 <= month <= 12:
            month = None
            errors["month"] = "Choose a month."
    if month and not year:
        errors.setdefault("year", "Give the year of the month.")
    if year and not errors:
        if month:
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1)
        else:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
    if raw["kind"] and raw["kind"] not in KINDS:
        errors["kind"] = "Choose invoices or credit notes."
    q = raw["q"][:100]
    query = {
        "kind": raw["kind"] if raw["kind"] in KINDS else None,
        "start": start,
        "end": end,
        "text": q,
    }
    return {k: v for k, v in raw.items() if v}, query, errors


def _page() -> int:
    page = _number(request.args.get("page") or "1")
    return page if page and page < 100000 else 1


@bp.get("/invoices")
def list_documents() -> Response:
    filters, query, errors = _filters()
    facade = InvoiceFacade()
    page = facade.search(**query, page=_page(), per_page=PER_PAGE)  # type: ignore[arg-type]
    if page.page > page.pages:
        page = facade.search(**query, page=page.pages, per_page=PER_PAGE)  # type: ignore[arg-type]
    return render(
        "payments/invoices.html",
        "results",
        status=422 if errors else 200,
        page=page,
        filters=filters,
        errors=errors,
        kinds=KINDS,
        months=[date(2000, m, 1).strftime("%B") for m in range(1, 13)],
    )


@bp.get("/invoices/export.csv")
def export_documents() -> Response:
    filters, query, errors = _filters()
    if errors:
        raise ValidationError(next(iter(errors.values())))
    batches = InvoiceFacade().export(**query)  # type: ignore[arg-type]
    header = (
        "Number",
        "Kind",
        "Date",
        "Order",
        "Customer",
        "Credits invoice",
        "Net",
        "VAT",
        "Total",
        "Currency",
    )
    rows = (
        (
            d.number,
            d.kind.label,
            d.issue_date.isoformat(),
            d.order_reference,
            d.buyer.name,
            d.credits_number,
            csv_money(d.tax.net),
            csv_money(d.tax.vat),
            csv_money(d.tax.gross),
            d.currency,
        )
        for batch in batches
        for d in batch
    )
    # The period asked for (if any), then the day of the export: invoices-2026-11-2026-12-03.csv
    period = [
        filters.get("year", ""),
        filters.get("month", "").zfill(2) if "month" in filters else "",
    ]
    name = "-".join(["invoices", *filter(None, period), f"{utcnow():%Y-%m-%d}"])
    # UTF-8 with a BOM (customers' names with accents read right in Excel), formula cells
    # escaped, rows read a batch at a time while the file is sent: the app's one CSV writer.
    return csv_download(f"{name}.csv", header, rows)


# --- one document --------------------------------------------------------------------------


@bp.get("/invoices/<document_id>")
def show(document_id: str) -> Response:
    document = _document(document_id)
    state = InvoiceFacade().documents_for_order(document.order_id)
    return render(
        "payments/invoice.html",
        document=document,
        pdf=False,
        pdf_url=url_for("invoices_admin.pdf", document_id=document.id),
        back_url=_booking_url(document),
        staff=True,
        open_amount=state.open_amount
        if state.live_invoice is not None and state.live_invoice.id == document.id
        else None,
    )


def _booking_url(document: Document) -> str | None:
    """The staff reservations list found by the order's reference (its lines are there)."""
    if "booking_admin.list_reservations" not in current_app.view_functions:
        return None
    return url_for("booking_admin.list_reservations", q=document.order_reference)


@bp.get("/invoices/<document_id>/pdf")
def pdf(document_id: str) -> Response:
    return document_pdf(_document(document_id), download=request.args.get("download") == "1")


# --- the Money panel's actions -------------------------------------------------------------


def _back(order_id: str) -> str:
    back = request.form.get("back") or ""
    return url_for("booking_admin.detail", reservation_id=back if _ID.fullmatch(back) else order_id)


@bp.post("/payments/orders/<order_id>/invoice")
def issue(order_id: str) -> Response:
    if not _ID.fullmatch(order_id):
        abort(404)
    document = InvoiceFacade().issue_invoice(order_id, current_actor())
    flash(f"Invoice {document.number} issued.", "success")
    return redirect(_back(order_id), code=303)


@bp.post("/payments/orders/<order_id>/invoice/reissue")
def reissue(order_id: str) -> Response:
    if not _ID.fullmatch(order_id):
        abort(404)
    document = InvoiceFacade().reissue_invoice(
        order_id, current_actor(), request.form.get("reason", "")
    )
    flash(
        f"The old invoice is credited and invoice {document.number} issued in its place.",
        "success",
    )
    return redirect(_back(order_id), code=303)


@bp.post("/invoices/<document_id>/credit-note")
def credit(document_id: str) -> Response:
    document = _document(document_id)
    raw = (request.form.get("amount") or "").strip()
    amount = (
        None
        if raw == "" and request.form.get("all") == "1"
        else parse_decimal(
            raw, field="amount", label="amount", minimum=0, maximum=MAX_AMOUNT, places=4
        )
    )
    if amount is None and request.form.get("all") != "1":
        raise ValidationError("Give the amount to credit.", field="amount")
    note = InvoiceFacade().issue_credit_note(
        document.id, amount, request.form.get("reason", ""), current_actor()
    )
    flash(f"Credit note {note.number} issued for invoice {document.number}.", "success")
    back = request.form.get("back") or ""
    if _ID.fullmatch(back):  # the reservation page the staff member came from
        return redirect(url_for("booking_admin.detail", reservation_id=back), code=303)
    return redirect(_booking_url(document) or url_for("invoices_admin.list_documents"), code=303)


__all__ = ["DocumentKind", "bp", "document_page", "document_pdf"]
