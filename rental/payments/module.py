"""Wire the payments module into the app: Booking's events (charges per confirmed line) and
the staff forms of the "Money" panel."""

from __future__ import annotations

from flask import Flask

from rental.inventory import register_overdue_grace
from rental.payments import cashup_web, deposits_web, invoice_web, web
from rental.payments.application import privacy
from rental.payments.application.event_handlers import subscribe_all
from rental.payments.application.fee_invoice_handlers import subscribe_fee_invoices
from rental.payments.application.invoice_handlers import subscribe_invoices
from rental.payments.demo import seed_policy
from rental.payments.infrastructure.damage_photos import init_damage_photos
from rental.payments.infrastructure.privacy import PrivacyRepository
from rental.payments.templating import init_templating
from rental.shared.db import db
from rental.shared.images.web import accept_uploads
from rental.shared.privacy import register_history_check
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def _commands():
    from rental.payments.facade import ledger_commands

    return ledger_commands()


def _overdue_grace():
    from rental.payments.facade import PaymentsFacade

    return PaymentsFacade().get_policy().overdue_grace


def _invoices():
    from rental.payments.invoice_facade import InvoiceFacade

    return InvoiceFacade()


def _privacy() -> PrivacyRepository:
    return PrivacyRepository(db.session())


def init_app(app: Flask) -> None:
    subscribe_all(
        _commands, lambda customer_id: privacy.forget_personal_text(_privacy(), customer_id)
    )
    # Customers asks before deleting a customer (it does not import us).
    register_history_check(
        "payments", lambda customer_id: privacy.payments(_privacy(), customer_id)
    )
    register_history_check("payments_invoices", lambda cid: privacy.invoices(_privacy(), cid))
    # The overdue-returns job (Inventory's) waits the shop's grace period after a booking's end.
    register_overdue_grace(app, _overdue_grace)
    app.register_blueprint(web.bp)
    app.register_blueprint(cashup_web.bp)
    register_admin_nav(app, "Payments", "payments_cashup.day", order=91)
    init_damage_photos(app)
    accept_uploads(app, deposits_web.RELEASE_ENDPOINT)  # the damage photo
    init_templating(app)
    register_admin_nav(app, "Payment settings", "payments_admin.settings", order=92)
    register_seeder("payment policy", seed_policy)
    # Invoices and credit notes (rental/payments/invoice_*.py).
    subscribe_invoices(lambda: _invoices().commands(), lambda: _invoices().policy())
    subscribe_fee_invoices(lambda: _invoices().commands())  # a cancelled order's fee invoice
    app.register_blueprint(invoice_web.bp)
    register_admin_nav(app, "Invoices", "invoices_admin.list_documents", order=91.5)
    app.jinja_env.globals["order_documents"] = lambda order_id: _invoices().documents_for_order(
        order_id
    )
