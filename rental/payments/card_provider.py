"""The card-provider port: the one interface an online card payment service (a payment
service provider, PSP) is plugged in through. No provider is bundled, and the app works with
none configured: then `card_provider()` is None and no page offers to pay online.

An adapter (in its own package, outside this repository or under rental/payments/adapters/)
implements `CardProvider` and is registered at start-up:

    from rental.payments import register_card_provider
    register_card_provider(app, MyProvider(api_key=...))

The three operations (docs/payments.md describes the flow):

- `create_payment` starts a payment of an amount for an order's account and returns where to
  send the customer (the provider's hosted page) and the provider's payment ID;
- `verify_webhook` checks a notification the provider sent (its signature, against the raw
  body and headers) and says what happened — only then may the app record a payment
  (`PaymentsFacade.record_payment`, by the `idempotency_key`, so a notification sent twice
  is recorded once);
- `refund` gives back (part of) a captured payment.

Every amount is `Money` (Decimal, never float); an adapter converts to the provider's minor
units itself. Errors: `CardProviderError` (the provider refused or cannot be reached: nothing
was recorded), `InvalidWebhook` (a notification that does not verify: answer 400, record
nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from flask import Flask, current_app, has_app_context

from rental.shared.money import Money

EXTENSION = "payments.card_provider"


class CardProviderError(Exception):
    """The provider refused the request or could not be reached; nothing was recorded."""


class InvalidWebhook(Exception):
    """A webhook whose signature or content does not verify: ignore it (HTTP 400)."""


class CardPaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"  # the money is captured: record a payment
    FAILED = "failed"  # declined, abandoned, expired: nothing to record
    REFUNDED = "refunded"  # (part of) a payment was refunded at the provider


@dataclass(frozen=True, slots=True)
class CardPaymentRequest:
    order_id: str
    order_reference: str
    account: str  # "rental" | "deposit"
    amount: Money
    description: str  # shown by the provider, e.g. "Booking AB12CD – rental"
    return_url: str  # where the provider sends the customer back
    idempotency_key: str  # the same key twice starts one payment


@dataclass(frozen=True, slots=True)
class CardPaymentStart:
    provider_payment_id: str
    redirect_url: str  # the provider's page the customer pays on


@dataclass(frozen=True, slots=True)
class CardWebhookEvent:
    status: CardPaymentStatus
    provider_payment_id: str
    order_id: str
    account: str
    amount: Money
    idempotency_key: str  # the key of the payment (or refund) it is about


@dataclass(frozen=True, slots=True)
class CardRefundRequest:
    provider_payment_id: str
    amount: Money
    reason: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class CardRefundResult:
    provider_refund_id: str
    pending: bool  # True: the provider confirms it later by a webhook (REFUNDED)


@runtime_checkable
class CardProvider(Protocol):
    """What a card-payment adapter implements (see the module's docstring)."""

    name: str  # shown to staff, e.g. "Stripe"

    def create_payment(self, request: CardPaymentRequest) -> CardPaymentStart: ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> CardWebhookEvent: ...

    def refund(self, request: CardRefundRequest) -> CardRefundResult: ...


def register_card_provider(app: Flask, provider: CardProvider | None) -> None:
    """Plug a provider in (None: take it out again)."""
    if provider is not None and not isinstance(provider, CardProvider):
        raise TypeError("A card provider implements create_payment, verify_webhook and refund.")
    app.extensions[EXTENSION] = provider


def card_provider() -> CardProvider | None:
    """The configured provider, or None (the default: no online card payment)."""
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)
