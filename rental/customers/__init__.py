"""Customer identity: who a customer is and how to reach them (the single source of truth).

Other modules import only from here: `CustomerFacade` and its DTOs."""

from rental.customers.application.commands import (
    CustomerDetailsInput,
    RegisterCustomer,
    UpdateCustomerProfile,
)
from rental.customers.application.queries import CustomerDetails, CustomerPage, SearchCustomers
from rental.customers.domain.models import Address
from rental.customers.facade import CustomerFacade

__all__ = [
    "Address",
    "CustomerDetails",
    "CustomerDetailsInput",
    "CustomerFacade",
    "CustomerPage",
    "RegisterCustomer",
    "SearchCustomers",
    "UpdateCustomerProfile",
]
