"""An invoice or credit note as PDF (WeasyPrint): the staff page's download, the customer's
copy and the payment receipt's attachment all come from here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template

from rental.payments.domain.invoices import Document


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"The invoice PDF loads nothing from outside ({url}).")


def document_pdf_bytes(document: Document) -> bytes:
    """The document as PDF: the printable page's HTML with its style sheet inline; WeasyPrint
    fetches nothing (no network, no files)."""
    css = (Path(current_app.static_folder or "static") / "css" / "invoice.css").read_text()
    html = render_template(
        "payments/invoice.html", document=document, pdf=True, pdf_url="", invoice_css=css
    )
    return pdf_from_html(html)


# An issued document is frozen, so its page is the same every time: the receipts for an
# order's rental and its deposit attach the same invoice, and staff download it again. Laying
# out a page costs ~0.1 s of CPU; the page's whole HTML is the key, so a page that reads
# differently (another document, changed shop details) is never served an old PDF. At most 64
# pages and their PDFs (a one-page invoice: ~12 KB of PDF): a few MB per process.
@lru_cache(maxsize=64)
def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML  # imported on use: loading pango takes a moment

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def document_filename(document: Document) -> str:
    return f"{'invoice' if document.is_invoice else 'credit-note'}-{document.number}.pdf"
