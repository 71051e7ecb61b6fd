"""Template helpers of the Payments module (registered as Jinja globals by module.init_app):
`payments_due(total, deposit)` — what is due when, from the shop's payment policy, for the
booking pages; `deposit_panel(order_id)` — the deposit part of the staff "Money" panel."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from rental.payments.card_provider import card_provider
from rental.payments.domain.due import DueItem, what_is_due
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


def payments_due(total: Money, deposit: Money | None = None) -> list[DueItem]:
    return what_is_due(PaymentsFacade().get_policy(), total, deposit)


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
    app.add_template_global(deposit_panel)
    app.add_template_global(card_provider, "card_payments")
