"""Wire the payments module into the app: Booking's events (charges per confirmed line) and
the staff forms of the "Money" panel."""

from __future__ import annotations

from flask import Flask

from rental.payments import invoice_web, web
from rental.payments.application.event_handlers import subscribe_all
from rental.payments.application.invoice_handlers import subscribe_invoices
from rental.shared.web import register_admin_nav


def _commands():
    from rental.payments.facade import ledger_commands

    return ledger_commands()


def _invoices():
    from rental.payments.invoice_facade import InvoiceFacade

    return InvoiceFacade()


def init_app(app: Flask) -> None:
    subscribe_all(_commands)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "Payment settings", "payments_admin.settings", order=92)
    # Invoices and credit notes (rental/payments/invoice_*.py).
    subscribe_invoices(lambda: _invoices().commands(), lambda: _invoices().policy())
    app.register_blueprint(invoice_web.bp)
    register_admin_nav(app, "Invoices", "invoices_admin.list_documents", order=91)
    app.jinja_env.globals["order_documents"] = lambda order_id: _invoices().documents_for_order(
        order_id
    )
