"""Staff forms of an order's "Money" panel, under /admin/payments/orders/<order_id>/: record a
payment, refund, add a charge, reverse an entry. Parse the form, call the facade, go back to
the reservation page with a message. Bad input is answered by the app's error pages (422, 404,
409 with the message) — nothing is written then."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.domain.ledger import (
    MAX_AMOUNT,
    Account,
    Category,
    Method,
    choice,
    strip_currency,
)
from rental.payments.domain.policy import (
    DEPOSIT_LABELS,
    FEE_LABELS,
    RENTAL_DUE_LABELS,
    PaymentPolicy,
    build_policy,
)
from rental.payments.facade import PaymentsFacade
from rental.shared.errors import NeedsConfirmation, ValidationError
from rental.shared.parsing import parse_decimal
from rental.shared.web import (
    admin_only,
    confirm_warnings,
    confirmed_codes,
    current_actor,
    render,
)

bp = Blueprint("payments_admin", __name__, url_prefix="/admin/payments")

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _back(order_id: str) -> str:
    """The staff reservation page the form came from (`back` = its reservation ID)."""
    back = request.form.get("back") or ""
    return url_for("booking_admin.detail", reservation_id=back if _ID.fullmatch(back) else order_id)


def _amount(name: str = "amount", label: str = "amount") -> Decimal:
    raw = request.form.get(name)
    order_id = (request.view_args or {}).get("order_id")
    ledger = PaymentsFacade().get_ledger(order_id) if order_id else None
    if ledger is not None:
        raw = strip_currency(raw, ledger.currency, field=name)
    value = parse_decimal(
        raw,
        field=name,
        label=label,
        minimum=-MAX_AMOUNT,
        maximum=MAX_AMOUNT,
        places=4,
    )
    if value is None:
        raise ValidationError(f"Give the {label}.", field=name)
    return value


def _seen_balance(account: Account) -> Decimal | None:
    """The account's balance the form showed (`seen_balance_rental`, `…_deposit`)."""
    raw = request.form.get(f"seen_balance_{account.value}") or request.form.get("seen_balance")
    if not raw:
        return None
    return parse_decimal(
        raw,
        field="seen_balance",
        label="balance seen",
        minimum=-100 * MAX_AMOUNT,
        maximum=100 * MAX_AMOUNT,
        places=4,
    )


def _done(order_id: str, message: str) -> Response:
    flash(message, "success")
    return redirect(_back(order_id), code=303)


def _confirm(order_id: str, exc: NeedsConfirmation, title: str, label: str) -> Response:
    return confirm_warnings(
        exc.warnings,
        title=title,
        action=request.path,
        fields=request.form.to_dict(),
        back=_back(order_id),
        confirm_label=label,
    )


@bp.post("/orders/<order_id>/payments")
def record_payment(order_id: str) -> Response:
    account = choice(Account, request.form.get("account"), field="account", label="account")
    command = RecordPayment(
        order_id=order_id,
        amount=_amount(),
        method=choice(Method, request.form.get("method"), field="method", label="method"),
        account=account,
        actor=current_actor(),
        reference=request.form.get("reference", ""),
        seen_balance=_seen_balance(account),
        confirmed=confirmed_codes(request.form),
    )
    try:
        PaymentsFacade().record_payment(command)
    except NeedsConfirmation as exc:
        return _confirm(order_id, exc, "Record this payment?", "Record it anyway")
    return _done(order_id, "Payment recorded.")


@bp.post("/orders/<order_id>/refunds")
def issue_refund(order_id: str) -> Response:
    PaymentsFacade().issue_refund(
        IssueRefund(
            order_id=order_id,
            amount=_amount(),
            method=choice(Method, request.form.get("method"), field="method", label="method"),
            account=choice(Account, request.form.get("account"), field="account", label="account"),
            actor=current_actor(),
            reference=request.form.get("reference", ""),
            reason=request.form.get("reason", ""),
        )
    )
    return _done(order_id, "Refund recorded.")


@bp.post("/orders/<order_id>/charges")
def add_charge(order_id: str) -> Response:
    PaymentsFacade().add_charge(
        AddCharge(
            order_id=order_id,
            amount=_amount(),
            category=choice(
                Category, request.form.get("category"), field="category", label="category"
            ),
            account=choice(
                Account,
                request.form.get("account") or Account.RENTAL.value,
                field="account",
                label="account",
            ),
            reason=request.form.get("reason", ""),
            actor=current_actor(),
        )
    )
    return _done(order_id, "Charge added.")


@bp.post("/orders/<order_id>/entries/<entry_id>/reverse")
def reverse_entry(order_id: str, entry_id: str) -> Response:
    try:
        PaymentsFacade().reverse_entry(
            ReverseEntry(
                order_id=order_id,
                entry_id=entry_id,
                reason=request.form.get("reason", ""),
                actor=current_actor(),
                confirmed=confirmed_codes(request.form),
            )
        )
    except NeedsConfirmation as exc:
        return _confirm(order_id, exc, "Reverse this entry?", "Reverse it")
    return _done(order_id, "Entry reversed by a counter-entry.")


# --- the payment policy (/admin/payments/settings) -------------------------------------------

POLICY_FIELDS = (
    "rental_due",
    "invoice_days",
    "deposit",
    "vat_rate",
    "prices_include_vat",
    "vat_id",
    "invoice_on_confirm",
    "cancellation_free_hours",
    "cancellation_fee",
    "cancellation_fee_value",
    "overdue_grace_minutes",
)


def _policy_form(policy: PaymentPolicy) -> dict[str, str]:
    return {
        "rental_due": policy.rental_due.value,
        "invoice_days": str(policy.invoice_days),
        "deposit": policy.deposit.value,
        "vat_rate": f"{policy.vat_rate.normalize():f}",
        "prices_include_vat": "gross" if policy.prices_include_vat else "net",
        "vat_id": policy.vat_id,
        "invoice_on_confirm": "on" if policy.invoice_on_confirm else "",
        "cancellation_free_hours": str(policy.cancellation_free_hours),
        "cancellation_fee": policy.cancellation_fee.value,
        "cancellation_fee_value": f"{policy.cancellation_fee_value.normalize():f}",
        "overdue_grace_minutes": str(policy.overdue_grace_minutes),
    }


def _policy_page(form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return render(
        "payments/settings.html",
        "policy_form",
        status=status,
        form=form,
        errors=errors,
        rental_due_labels=RENTAL_DUE_LABELS,
        deposit_labels=DEPOSIT_LABELS,
        fee_labels=FEE_LABELS,
    )


@bp.get("/settings")
def settings() -> Response:
    return _policy_page(_policy_form(PaymentsFacade().get_policy()), {})


@bp.post("/settings")
@admin_only
def save_settings() -> Response:
    form = {name: request.form.get(name, "") for name in POLICY_FIELDS}
    try:
        PaymentsFacade().save_policy(build_policy(form))
    except ValidationError as exc:
        return _policy_page(form, exc.errors or {"rental_due": exc.message}, 422)
    flash("Payment settings saved.", "success")
    return redirect(url_for("payments_admin.settings"), code=303)
