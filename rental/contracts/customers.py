"""Integration events of the customers module. They carry the customer ID, never personal data,
so anonymising or deleting a customer leaves nothing of theirs behind in these messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.shared.events import Event, register_event


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(Event):
    customer_id: str


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerProfileUpdated(Event):
    customer_id: str
    changed_fields: list[str]


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerSuspended(Event):
    customer_id: str


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerReactivated(Event):
    customer_id: str


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerAnonymised(Event):
    customer_id: str
    anonymised_at: datetime


@register_event
@dataclass(frozen=True, kw_only=True)
class CustomerDeleted(Event):
    """The customer's record was deleted (registered by mistake, never booked): every module
    drops what it keeps about this ID."""

    customer_id: str
    deleted_at: datetime
