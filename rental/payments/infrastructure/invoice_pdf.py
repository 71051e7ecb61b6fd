"""An invoice or credit note as PDF (WeasyPrint): the staff page's download, the customer's
copy and the payment receipt's attachment all come from here."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template

from rental.payments.domain.invoices import Document


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"The invoice PDF loads nothing from outside ({url}).")


def document_pdf_bytes(document: Document) -> bytes:
    """The document as PDF: the printable page's HTML with its style sheet inline; WeasyPrint
    fetches nothing (no network, no files)."""
    from weasyprint import HTML  # imported on use: loading pango takes a moment

    css = (Path(current_app.static_folder or "static") / "css" / "invoice.css").read_text()
    html = render_template(
        "payments/invoice.html", document=document, pdf=True, pdf_url="", invoice_css=css
    )
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def document_filename(document: Document) -> str:
    return f"{'invoice' if document.is_invoice else 'credit-note'}-{document.number}.pdf"
