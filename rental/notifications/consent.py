"""Which mail a customer may be sent: transactional mail (about their bookings and payments)
always; marketing mail (anything the customer did not ask for, such as "you are now a Gold
member") only when CRM's communication preferences say they opted in to marketing e-mail —
all preferences are off by default, so a customer who never said yes gets none."""

from __future__ import annotations

from typing import Literal

from rental.crm import CRMFacade

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
Kind = Literal["transactional", "marketing"]


def may_send(customer_id: str, kind: Kind) -> bool:
    """True when a mail of `kind` may go to the customer now (asked at send time: a customer
    who withdrew consent after the event gets nothing)."""
    if kind == TRANSACTIONAL:
        return True
    if kind == MARKETING:
        return CRMFacade().get_preferences(customer_id).marketing_email
    raise ValueError(f"unknown kind of mail: {kind!r}")
