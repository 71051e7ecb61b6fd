"""Customers (scope `read`): the staff list's search and a customer's profile, through
CustomerFacade. Personal data: every API token is a staff token (made by an administrator),
and none of this is public. An anonymised customer shows as such, with no personal data."""

from __future__ import annotations

from flask import Response

from rental.api.web.core import READ, bp, operation
from rental.api.web.helpers import json_response, page_response
from rental.api.web.numbered_pages import next_cursor, page_number
from rental.api.web.schemas.customers import (
    CustomerAddressOut,
    CustomerOut,
    CustomerPage,
    CustomerQuery,
)
from rental.customers import CustomerDetails, CustomerFacade, SearchCustomers

ANONYMISED = "ANONYMISED"


def customer_out(c: CustomerDetails) -> CustomerOut:
    if c.anonymised_at is not None:
        return CustomerOut(
            id=c.id,
            status=ANONYMISED,
            anonymised=True,
            name=None,
            email=None,
            phone=None,
            address=None,
            can_book=False,
            registered_at=c.registered_at,
            anonymised_at=c.anonymised_at,
        )
    a = c.address
    return CustomerOut(
        id=c.id,
        status=c.status,  # type: ignore[arg-type]
        anonymised=False,
        name=c.name,
        email=c.email,
        phone=c.phone,
        address=CustomerAddressOut(
            street=a.street,
            city=a.city,
            state=a.state,
            postal_code=a.postal_code,
            country=a.country,
        ),
        can_book=c.can_book,
        registered_at=c.registered_at,
        anonymised_at=None,
    )


@bp.get("/customers")
@operation(READ, query=CustomerQuery, ok=CustomerPage, tags=["customers"])
def list_customers(query: CustomerQuery) -> Response:
    """Customers as the staff list finds them (search `q`, `status`), ordered by name."""
    page = CustomerFacade().search_customers(
        SearchCustomers(
            text=query.q.strip(),
            status=query.status,
            page=page_number(query),
            page_size=query.limit,
        )
    )
    cursor = next_cursor(query, page.page, page.has_next)
    body = CustomerPage(
        data=[customer_out(c) for c in page.items], next_cursor=cursor, total=page.total
    )
    return page_response(body, cursor)


@bp.get("/customers/<customer_id>")
@operation(READ, ok=CustomerOut, errors=(404,), tags=["customers"])
def get_customer(customer_id: str) -> Response:
    """A customer's profile, status and dates (no personal data once anonymised)."""
    return json_response(customer_out(CustomerFacade().get_customer_by_id(customer_id)))
