"""CustomerFacade: the only way other modules (and the web layer) reach customer identity.

Wiring and transactions only: each command runs in one `unit_of_work`; the rules live in
`application/` and `domain/`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from rental.customers.application.commands import (
    AnonymiseCustomer,
    CustomerCommands,
    CustomerDetailsInput,
    CustomerMatch,
    DeleteCustomer,
    EnsureCustomer,
    ReactivateCustomer,
    RegisterCustomer,
    SuspendCustomer,
    UpdateCustomerProfile,
    check_details,
)
from rental.customers.application.queries import (
    CustomerDetails,
    CustomerIds,
    CustomerPage,
    CustomerQueries,
    ExportCustomerData,
    FindCustomerByEmail,
    FindCustomerIds,
    GetCustomerById,
    GetCustomers,
    SearchCustomers,
)
from rental.customers.infrastructure.repositories import CustomerRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.privacy import history_of
from rental.shared.time_range import utcnow


def _commands(session: Session) -> CustomerCommands:
    return CustomerCommands(CustomerRepository(session), clock=utcnow, record=outbox.record)


def _queries() -> CustomerQueries:
    return CustomerQueries(CustomerRepository(db.session()), clock=utcnow)


class CustomerFacade:
    """Commands run in one transaction each (joining the caller's, if any) and return an ID or
    None; queries return frozen dataclasses. Errors: ValidationError (with `errors` per
    field), NotFoundError, ConflictError (duplicate email, changing an anonymised customer)."""

    # --- queries ---------------------------------------------------------------------------

    def get_customer_by_id(self, customer_id: str) -> CustomerDetails:
        return _queries().get(GetCustomerById(customer_id))

    def get_customer_to_book(self, customer_id: str) -> CustomerDetails:
        """The customer, their record held (FOR SHARE) until the caller's transaction ends:
        call it inside the transaction that writes the booking (`CustomerQueries.get_to_book`)."""
        return _queries().get_to_book(GetCustomerById(customer_id))

    def get_customer_for_change(self, customer_id: str) -> CustomerDetails:
        """The customer, or ConflictError when their record can no longer be changed."""
        return _queries().get_for_change(GetCustomerById(customer_id))

    def find_customer_by_email(self, email: str) -> CustomerDetails | None:
        return _queries().find_by_email(FindCustomerByEmail(email))

    def get_customers(self, customer_ids: Iterable[str]) -> dict[str, CustomerDetails]:
        """Several customers in one query, by ID (unknown IDs are left out)."""
        return _queries().get_many(GetCustomers(frozenset(customer_ids)))

    def search_customers(self, query: SearchCustomers) -> CustomerPage:
        return _queries().search(query)

    def export_customers(self, query: SearchCustomers) -> Iterator[list[CustomerDetails]]:
        """Every customer the search finds (its filters; page and page size ignored), read a
        batch at a time once iterated — on the session of the context iterating them (a
        streamed response's request, which outlives the view's). An unknown status is a
        ValidationError, raised here."""
        _queries().check_filters(query)  # a bad status raised here, before the file is sent

        def batches() -> Iterator[list[CustomerDetails]]:
            yield from _queries().stream(query)

        return batches()

    def find_customer_ids(self, text: str, limit: int = 500) -> CustomerIds:
        """IDs of the customers whose name, email or phone contains `text`, in one query."""
        return _queries().find_ids(FindCustomerIds(text, limit))

    def export_customer_data(self, customer_id: str) -> dict[str, Any]:
        """Everything the system holds about the customer, as one JSON-ready document: the
        profile plus one section per module registered with
        `rental.shared.privacy.register_exporter`."""
        return _queries().export(ExportCustomerData(customer_id))

    # --- commands --------------------------------------------------------------------------

    def check_customer_details(self, details: CustomerDetailsInput) -> None:
        """ValidationError naming every field at fault, as registering would; nothing saved
        (whether the e-mail is already known is registering's to say)."""
        check_details(details)

    def register_customer(self, command: RegisterCustomer) -> str:
        with unit_of_work() as session:
            return _commands(session).register(command)

    def ensure_customer(self, details: CustomerDetailsInput, *, to_book: bool = False) -> str:
        """Find by (normalised) email or register; see `CustomerCommands.ensure`. With
        `to_book`, a customer who may not book is refused (ValidationError on "customer")."""
        with unit_of_work() as session:
            return _commands(session).ensure(EnsureCustomer(details, to_book))

    def ensure_customer_for_booking(self, details: CustomerDetailsInput) -> CustomerMatch:
        """Find by e-mail or register, for a booking: a customer who may not book is refused
        (ValidationError on "customer"); a known one is used with the stored profile as it is,
        and the match says what was typed differently (`CustomerCommands.ensure_for_booking`)."""
        with unit_of_work() as session:
            return _commands(session).ensure_for_booking(EnsureCustomer(details, to_book=True))

    def update_customer_profile(self, command: UpdateCustomerProfile) -> None:
        with unit_of_work() as session:
            _commands(session).update(command)

    def suspend_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).suspend(SuspendCustomer(customer_id))

    def reactivate_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).reactivate(ReactivateCustomer(customer_id))

    def anonymise_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).anonymise(AnonymiseCustomer(customer_id))

    def customer_history(self, customer_id: str) -> list[str]:
        """What the shop must keep of the customer (["3 orders", "invoices"]); empty: the
        customer may be deleted."""
        return history_of(customer_id)

    def delete_customer(self, customer_id: str) -> None:
        """ConflictError when the customer has history (anonymise instead)."""
        with unit_of_work() as session:
            _commands(session).delete(DeleteCustomer(customer_id))
