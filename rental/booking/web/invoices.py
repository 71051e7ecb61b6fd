"""The customer's copies of their order's invoices and credit notes, behind the manage link:
/r/<reference>/<token>/invoices/<id> (printable page) and …/pdf. The token proves the order;
a document of another order is "not found" like a wrong token — a guessed document ID alone
reaches nothing."""

from __future__ import annotations

from flask import Response, request, url_for

from rental.booking.facade import BookingFacade
from rental.booking.web.blueprints import bp
from rental.payments import Document, InvoiceFacade, document_page, document_pdf
from rental.shared.errors import NotFoundError
from rental.shared.web import no_store


def _document(reference: str, token: str, document_id: str) -> Document:
    reservation = BookingFacade().get_reservation_for_customer(reference, token)
    order_id = reservation.order_id or reservation.id
    document = InvoiceFacade().get_document(document_id) if len(document_id) <= 64 else None
    if document is None or document.order_id != order_id:
        raise NotFoundError("There is no such invoice for this booking.")
    return document


@bp.get("/r/<reference>/<token>/invoices/<document_id>")
def customer_invoice(reference: str, token: str, document_id: str) -> Response:
    document = _document(reference, token, document_id)
    return no_store(
        document_page(
            document,
            pdf_url=url_for(
                "booking.customer_invoice_pdf",
                reference=reference,
                token=token,
                document_id=document.id,
            ),
            back_url=url_for("booking.manage", reference=reference, token=token),
        )
    )


@bp.get("/r/<reference>/<token>/invoices/<document_id>/pdf")
def customer_invoice_pdf(reference: str, token: str, document_id: str) -> Response:
    return document_pdf(
        _document(reference, token, document_id), download=request.args.get("download") == "1"
    )
