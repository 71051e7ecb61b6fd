"""Template helpers of the Payments module (registered as Jinja globals by module.init_app):
`payments_due(total, deposit)` — what is due when, from the shop's payment policy, for the
booking pages; `deposit_panel(order_id)` — the deposit part of the staff "Money" panel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask

from rental.payments.card_provider import card_provider
from rental.payments.domain.due import DueItem, price_vat_note, vat_statement, what_is_due
from rental.payments.domain.ledger import METHOD_LABELS, DepositState
from rental.payments.facade import PaymentsFacade
from rental.shared.images import StoredImage
from rental.shared.money import Money


@dataclass(frozen=True, slots=True)
class DepositPanel:
    state: str  # not paid / held / released / partly retained
    held: Money
    releasable: bool
    photos: dict[str, StoredImage]  # damage charge's entry ID → photo
    methods: dict[str, str]


def payments_due(
    total: Money, deposit: Money | None = None, lines: Iterable[Money] | None = None
) -> list[DueItem]:
    """`lines`: the booking lines' totals (the rental's VAT added per line, as the ledger
    charges it, under a net policy)."""
    return what_is_due(PaymentsFacade().get_policy(), total, deposit, lines)


def payments_vat() -> dict[str, str]:
    """What the pages say about VAT: `statement` under the amounts due ('Prices include
    19 % VAT.'), `price_note` next to a net quote's total ('plus 19 % VAT'), `charge_label`
    for staff's charge amount ('incl. VAT' when the shop charges VAT)."""
    policy = PaymentsFacade().get_policy()
    return {
        "statement": vat_statement(policy),
        "price_note": price_vat_note(policy),
        "charge_label": "incl. VAT" if policy.charges_vat else "",
    }


def deposit_panel(order_id: str) -> DepositPanel | None:
    facade = PaymentsFacade()
    ledger = facade.get_ledger(order_id)
    if ledger is None:
        return None
    held = ledger.refundable["deposit"]
    return DepositPanel(
        state=ledger.deposit_state,
        held=held,
        releasable=ledger.deposit_state == DepositState.HELD.value,
        photos=facade.damage_photos(order_id),
        methods={m.value: label for m, label in METHOD_LABELS.items()},
    )


def init_templating(app: Flask) -> None:
    app.add_template_global(payments_due)
    app.add_template_global(payments_vat)
    app.add_template_global(deposit_panel)
    app.add_template_global(card_provider, "card_payments")
