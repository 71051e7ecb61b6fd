"""The customer repository: maps entities to domain models and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.customers.domain.models import Address, Customer, CustomerStatus
from rental.customers.infrastructure.entities import CustomerEntity
from rental.shared.errors import ConflictError

# Rows read per round trip by the CSV export (stream).
STREAM_BATCH = 500

DUPLICATE_EMAIL = "A customer with the email {email} already exists."


def to_domain(entity: CustomerEntity) -> Customer:
    return Customer(
        id=entity.id,
        name=entity.name,
        email=entity.email,
        phone=entity.phone,
        address=Address(
            street=entity.street,
            city=entity.city,
            state=entity.state,
            postal_code=entity.postal_code,
            country=entity.country,
        ),
        registered_at=entity.registered_at,
        status=CustomerStatus(entity.status),
        anonymised_at=entity.anonymised_at,
    )


def _copy(customer: Customer, entity: CustomerEntity) -> None:
    entity.name = customer.name
    entity.email = customer.email
    entity.phone = customer.phone
    entity.street = customer.address.street
    entity.city = customer.address.city
    entity.state = customer.address.state
    entity.postal_code = customer.address.postal_code
    entity.country = customer.address.country
    entity.status = customer.status.value
    entity.registered_at = customer.registered_at
    entity.anonymised_at = customer.anonymised_at


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_PHONE_SEARCH = re.compile(r"[0-9 +().\-/]+")
_PHONE_SEPARATORS = " +().-/"
MIN_PHONE_DIGITS = 3


def _matches(text: str):
    """Name, email or phone contains `text` (any letter case); a search that looks like a
    phone number (three digits or more) also finds the phone by its digits alone, however
    either is spaced or punctuated."""
    pattern = f"%{_escape_like(text.lower())}%"
    conditions = [
        func.lower(CustomerEntity.name).like(pattern, escape="\\"),
        CustomerEntity.email.like(pattern, escape="\\"),
        CustomerEntity.phone.like(pattern, escape="\\"),
    ]
    digits = "".join(ch for ch in text if ch in "0123456789")
    if _PHONE_SEARCH.fullmatch(text) and len(digits) >= MIN_PHONE_DIGITS:
        bare = CustomerEntity.phone
        for separator in _PHONE_SEPARATORS:
            bare = func.replace(bare, separator, "")
        conditions.append(bare.like(f"%{digits}%"))
    return or_(*conditions)


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(
        self, customer_id: str, *, for_update: bool = False, for_share: bool = False
    ) -> Customer | None:
        entity = self._entity(customer_id, for_update=for_update, for_share=for_share)
        return to_domain(entity) if entity else None

    def _entity(
        self, customer_id: str, *, for_update: bool = False, for_share: bool = False
    ) -> CustomerEntity | None:
        query = select(CustomerEntity).where(CustomerEntity.id == customer_id)
        return self._session.scalars(_locked(query, for_update, for_share)).first()

    def find_by_email(self, email: str, *, for_share: bool = False) -> Customer | None:
        query = select(CustomerEntity).where(CustomerEntity.email == email)
        entity = self._session.scalars(_locked(query, False, for_share)).first()
        return to_domain(entity) if entity else None

    def get_many(self, customer_ids: list[str]) -> list[Customer]:
        if not customer_ids:
            return []
        rows = self._session.scalars(
            select(CustomerEntity).where(CustomerEntity.id.in_(customer_ids))
        )
        return [to_domain(e) for e in rows]

    def matching_ids(self, text: str, limit: int) -> list[str]:
        """IDs of customers matching `text` (see `_matches`), at most `limit`, in a stable
        order."""
        rows = self._session.scalars(
            select(CustomerEntity.id).where(_matches(text)).order_by(CustomerEntity.id).limit(limit)
        )
        return list(rows)

    def email_taken(self, email: str, *, except_id: str | None = None) -> bool:
        query = select(CustomerEntity.id).where(CustomerEntity.email == email)
        if except_id:
            query = query.where(CustomerEntity.id != except_id)
        return self._session.scalars(query.limit(1)).first() is not None

    def add(self, customer: Customer) -> None:
        entity = CustomerEntity(id=customer.id)
        _copy(customer, entity)
        self._flush_guarded(customer.email, entity)

    def save(self, customer: Customer) -> None:
        entity = self._entity(customer.id)
        assert entity is not None, "save() of a customer that was never added"
        _copy(customer, entity)
        self._flush_guarded(customer.email)

    def delete(self, customer_id: str) -> None:
        entity = self._entity(customer_id)
        assert entity is not None, "delete() of a customer that was never added"
        self._session.delete(entity)
        self._session.flush()

    def _flush_guarded(self, email: str, new: CustomerEntity | None = None) -> None:
        """Flush in a savepoint: a unique-index violation (a concurrent registration with the
        same email won the race) becomes a clear ConflictError and leaves any outer
        transaction usable."""
        try:
            with self._session.begin_nested():
                if new is not None:
                    self._session.add(new)
                self._session.flush()
        except IntegrityError:
            raise ConflictError(DUPLICATE_EMAIL.format(email=email), field="email") from None

    def _filtered(self, text: str, status: str | None) -> Select[Any]:
        query = select(CustomerEntity)
        if text:
            query = query.where(_matches(text))
        if status == "ANONYMISED":
            query = query.where(CustomerEntity.anonymised_at.is_not(None))
        elif status:
            query = query.where(
                CustomerEntity.status == status, CustomerEntity.anonymised_at.is_(None)
            )
        return query

    def stream(self, text: str, status: str | None) -> Iterator[list[Customer]]:
        """The customers `search` finds, in its order, a batch of STREAM_BATCH at a time (the
        CSV export: never the whole table in memory)."""
        query = self._filtered(text, status).order_by(
            func.lower(CustomerEntity.name), CustomerEntity.id
        )
        rows = iter(self._session.scalars(query.execution_options(yield_per=STREAM_BATCH)))
        while batch := list(islice(rows, STREAM_BATCH)):
            yield [to_domain(e) for e in batch]

    def search(
        self, text: str, status: str | None, offset: int, limit: int
    ) -> tuple[list[Customer], int]:
        query = self._filtered(text, status)
        total = self._session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self._session.scalars(
            query.order_by(func.lower(CustomerEntity.name), CustomerEntity.id)
            .offset(offset)
            .limit(limit)
        )
        return [to_domain(e) for e in rows], total


def _locked(query: Select[Any], for_update: bool, for_share: bool) -> Select[Any]:
    """FOR UPDATE to change the row; FOR SHARE to rely on it until the transaction ends (a
    booking being written for the customer: the row cannot be deleted, suspended or
    anonymised meanwhile, and waits for a change already under way). SQLite has neither and
    needs neither: it serialises writers."""
    if for_update:
        return query.with_for_update()
    if for_share:
        return query.with_for_update(read=True)
    return query
