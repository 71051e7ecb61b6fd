"""CRM's part of a customer's privacy export, and what CRM does when a customer is
anonymised.

Anonymisation (CustomerAnonymised, from Customers): the rental history, loyalty and lifetime
value stay — they are aggregates about an id whose profile is now anonymous (no name, no
contact), and the shop's figures (high-value list, revenue by tier) must not change
retroactively. The communication preferences are withdrawn (all off: nobody is left to
contact, and nothing must be sent should contact details ever reappear); the withdrawal is
logged with the source `anonymised`. The consent log holds no free text about the customer
(field, yes/no, when, and `customer` or `staff:<email>` — who recorded it); it stays as the
record of what was agreed when, which the shop may have to show. Nothing is deleted, so a
redelivered event changes nothing more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from rental.crm.domain.preferences import Preferences, changes
from rental.crm.infrastructure.repositories import CRMRepository, to_status
from rental.shared.money import Money

ANONYMISED_SOURCE = "anonymised"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return Money(Decimal(amount), currency).to_dict()


def export_for_customer(repo: CRMRepository, customer_id: str) -> dict[str, Any]:
    """Every CRM row of the customer, JSON-ready."""
    history = repo.history_of(customer_id)
    loyalty = repo.loyalty_row(customer_id, lock=False)
    clv = repo.clv(customer_id)
    prefs = repo.preferences(customer_id)
    return {
        "rental_history": [
            {
                "reference": r.reference,
                "order_reference": r.order_reference,
                "equipment": r.equipment_name,
                "quantity": r.quantity,
                "start": _when(r.period_start),
                "end": _when(r.period_end),
                "amount": _money(r.amount, r.currency),
                "status": r.status,
                "loyalty_points": r.points,
            }
            for r in history
        ],
        "loyalty": None
        if loyalty is None
        else {
            "tier": to_status(loyalty).tier.label,
            "points": loyalty.points,
            "last_qualifying_rental_at": _when(loyalty.last_qualifying_at),
            "tier_expires_at": _when(loyalty.tier_expires_at),
        },
        "lifetime_value": None if clv is None else _money(clv.amount, clv.currency),
        "communication_preferences": {
            "marketing_email": prefs.marketing_email,
            "sms": prefs.sms,
            "newsletter": prefs.newsletter,
        },
        "consent_log": [
            {"preference": c.field, "value": c.value, "source": c.source, "at": _when(c.at)}
            for c in repo.consent_log(customer_id)
        ],
    }


def forget_on_anonymisation(
    repo: CRMRepository, customer_id: str, clock: Callable[[], datetime]
) -> list[tuple[str, bool]]:
    """Every preference withdrawn (logged with the source `anonymised`); the rest stays."""
    before = repo.preferences(customer_id, lock=True)
    changed = changes(before, Preferences())
    if changed:
        repo.save_preferences(customer_id, Preferences(), changed, ANONYMISED_SOURCE, clock())
    return changed
