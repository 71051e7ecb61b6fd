"""The read side of customer identity: `CustomerQueries` and every DTO the module returns.

Queries read through the request's session and never write. The privacy export is a query too:
this module's profile plus one section per module registered with
`rental.shared.privacy.register_exporter`, so customers never imports the modules that add to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rental.customers.domain.models import Address, Customer, is_customer_id
from rental.customers.infrastructure.repositories import CustomerRepository
from rental.shared.email import normalise_email
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.privacy import Exporter, exporters
from rental.shared.time_range import utcnow

Clock = Callable[[], datetime]
ExportSections = Callable[[], list[tuple[str, Exporter]]]

STATUS_FILTERS = ("ACTIVE", "SUSPENDED", "ANONYMISED")
MAX_PAGE_SIZE = 100
MAX_IDS = 1000  # GetCustomers / FindCustomerIds: at most this many at once
SEARCH_TEXT_MAX = 255
EXPORT_FORMAT = "rentkit.customer-export"
EXPORT_VERSION = 1
RESERVED_SECTIONS = frozenset({"export", "customer"})


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetCustomerById:
    customer_id: str


@dataclass(frozen=True, slots=True)
class FindCustomerByEmail:
    email: str


@dataclass(frozen=True, slots=True)
class SearchCustomers:
    """Substring of name, email or phone (case-insensitive); status ACTIVE, SUSPENDED,
    ANONYMISED or None for all; pages count from 1."""

    text: str = ""
    status: str | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True, slots=True)
class GetCustomers:
    """Several customers by ID at once (a list page's rows); unknown IDs are left out."""

    customer_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class FindCustomerIds:
    """IDs of the customers whose name, email or phone contains `text` (as SearchCustomers;
    a phone also matches by its digits alone), at most `limit` of them — for other modules
    that filter their own records by customer (staff finding a booking by who made it)."""

    text: str
    limit: int = 500


@dataclass(frozen=True, slots=True)
class ExportCustomerData:
    customer_id: str


# --- DTOs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    id: str
    name: str
    email: str
    phone: str
    address: Address
    registered_at: datetime
    status: str  # "ACTIVE" | "SUSPENDED"
    anonymised_at: datetime | None
    can_book: bool
    # What staff may do with the record (rental.customers.domain: Customer.allowed_actions).
    allowed_actions: frozenset[str]

    @classmethod
    def of(cls, customer: Customer) -> CustomerDetails:
        return cls(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            address=customer.address,
            registered_at=customer.registered_at,
            status=customer.status.value,
            anonymised_at=customer.anonymised_at,
            can_book=customer.can_book,
            allowed_actions=frozenset(a.value for a in customer.allowed_actions()),
        )


@dataclass(frozen=True, slots=True)
class CustomerIds:
    """The matching customers' IDs; `complete` is False when more matched than were asked
    for (the caller should ask for a narrower search rather than show a partial answer as
    whole)."""

    ids: frozenset[str]
    complete: bool


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: tuple[CustomerDetails, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- the read service ---------------------------------------------------------------------------


def load_customer(
    customers: CustomerRepository,
    customer_id: str,
    *,
    for_update: bool = False,
    for_share: bool = False,
) -> Customer:
    """The customer with this ID (any letter case), or NotFoundError."""
    customer = (
        customers.get(str(customer_id).lower(), for_update=for_update, for_share=for_share)
        if is_customer_id(customer_id)
        else None
    )
    if customer is None:
        raise NotFoundError("No customer with that ID.")
    return customer


class CustomerQueries:
    def __init__(
        self,
        customers: CustomerRepository,
        *,
        clock: Clock = utcnow,
        export_sections: ExportSections = exporters,
    ) -> None:
        self._customers = customers
        self._clock = clock
        self._export_sections = export_sections

    def get(self, query: GetCustomerById) -> CustomerDetails:
        return CustomerDetails.of(load_customer(self._customers, query.customer_id))

    def get_to_book(self, query: GetCustomerById) -> CustomerDetails:
        """As `get`, the row held FOR SHARE until the caller's transaction ends: a booking
        written for the customer in that transaction cannot end up pointing at a record
        deleted (or suspended, anonymised) at the same moment — that change waits for the
        booking, or the booking waits for it and then sees it."""
        return CustomerDetails.of(load_customer(self._customers, query.customer_id, for_share=True))

    def get_for_change(self, query: GetCustomerById) -> CustomerDetails:
        """As `get`, but ConflictError when the record can no longer be changed (anonymised)."""
        customer = load_customer(self._customers, query.customer_id)
        customer.ensure_changeable()
        return CustomerDetails.of(customer)

    def find_by_email(self, query: FindCustomerByEmail) -> CustomerDetails | None:
        email = normalise_email(query.email)
        if not email:
            return None
        customer = self._customers.find_by_email(email)
        return CustomerDetails.of(customer) if customer else None

    def search(self, query: SearchCustomers) -> CustomerPage:
        status = (query.status or "").upper() or None
        if status and status not in STATUS_FILTERS:
            raise ValidationError("Unknown status filter.", field="status")
        page_size = min(max(int(query.page_size), 1), MAX_PAGE_SIZE)
        page = max(int(query.page), 1)
        text = search_text(query.text)
        items, total = self._customers.search(text, status, (page - 1) * page_size, page_size)
        return CustomerPage(tuple(CustomerDetails.of(c) for c in items), total, page, page_size)

    def stream(self, query: SearchCustomers) -> Iterator[list[CustomerDetails]]:
        """What `search` finds, every page of it, a batch at a time (the CSV export)."""
        status = self.check_filters(query)
        for batch in self._customers.stream(search_text(query.text), status):
            yield [CustomerDetails.of(c) for c in batch]

    def check_filters(self, query: SearchCustomers) -> str | None:
        """The status to filter by (None: all); ValidationError for one that is not one."""
        status = (query.status or "").upper() or None
        if status and status not in STATUS_FILTERS:
            raise ValidationError("Unknown status filter.", field="status")
        return status

    def get_many(self, query: GetCustomers) -> dict[str, CustomerDetails]:
        ids = sorted({str(i).lower() for i in query.customer_ids if is_customer_id(str(i))})
        if len(ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} customers at once")
        return {c.id: CustomerDetails.of(c) for c in self._customers.get_many(ids)}

    def find_ids(self, query: FindCustomerIds) -> CustomerIds:
        text = search_text(query.text)
        limit = min(max(int(query.limit), 1), MAX_IDS)
        if not text:
            return CustomerIds(frozenset(), complete=True)
        ids = self._customers.matching_ids(text, limit + 1)
        return CustomerIds(frozenset(ids[:limit]), complete=len(ids) <= limit)

    def export(self, query: ExportCustomerData) -> dict[str, Any]:
        """Everything the system holds about the customer, as one JSON-ready document."""
        customer = load_customer(self._customers, query.customer_id)
        document: dict[str, Any] = {
            "export": {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "generated_at": self._clock().isoformat(),
                "customer_id": customer.id,
            },
            "customer": _exported_profile(customer),
        }
        for section, exporter in self._export_sections():
            if section in RESERVED_SECTIONS:
                raise ValueError(f"export section name {section!r} is reserved")
            document[section] = exporter(customer.id)
        return document


def search_text(text: str | None) -> str:
    """What a search looks for: runs of whitespace as one space, at most SEARCH_TEXT_MAX."""
    return " ".join((text or "").split())[:SEARCH_TEXT_MAX]


def _exported_profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": {
            "street": customer.address.street,
            "city": customer.address.city,
            "state": customer.address.state,
            "postal_code": customer.address.postal_code,
            "country": customer.address.country,
        },
        "registered_at": _iso(customer.registered_at),
        "status": customer.status.value,
        "anonymised_at": _iso(customer.anonymised_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
