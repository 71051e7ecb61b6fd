"""Which mail a customer may be sent: transactional mail (about their bookings and payments)
always; marketing mail (anything the customer did not ask for, such as "you are now a Gold
member") only when CRM's communication preferences say they opted in to marketing e-mail —
all preferences are off by default, so a customer who never said yes gets none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
Kind = Literal["transactional", "marketing"]


def may_send(kind: Kind, opted_in_to_marketing: Callable[[], bool]) -> bool:
    """True when a mail of `kind` may go to the customer now. `opted_in_to_marketing` asks
    CRM at send time (a customer who withdrew consent after the event gets nothing), and only
    for marketing mail."""
    if kind == TRANSACTIONAL:
        return True
    if kind == MARKETING:
        return opted_in_to_marketing()
    raise ValueError(f"unknown kind of mail: {kind!r}")
