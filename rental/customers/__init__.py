"""Customer identity: who a customer is and how to reach them (the single source of truth).

Other modules import only from here: `CustomerFacade`, the commands and DTOs it takes and
returns, and the events the module publishes (defined in rental.contracts.customers, so a
subscriber never needs this package).

Layout (the shape every module has, docs/architecture.md):
    facade.py                    CustomerFacade: wiring and one unit_of_work per command
    module.py                    init_app: admin pages, admin menu entry, demo customers
    demo.py                      demo customers for `flask seed-demo`
    domain/models.py             Customer, ContactDetails, Address and their rules (pure)
    application/commands.py      commands + CustomerCommands (register, ensure, ensure for a
                                 booking, update, suspend, reactivate, anonymise, delete
                                 without history; clock, outbox and history injected)
                                 + CustomerMatch
    application/queries.py       CustomerQueries (get, get many, find, search, IDs matching a
                                 search, privacy export) + DTOs
    infrastructure/entities.py   CustomerEntity (customers_customers)
    infrastructure/repositories.py  CustomerRepository and its mapper
    web.py                       the staff pages under /admin/customers
The module subscribes to no events, so it has no application/event_handlers.py.
"""

from rental.contracts.customers import (
    CustomerAnonymised,
    CustomerDeleted,
    CustomerProfileUpdated,
    CustomerReactivated,
    CustomerRegistered,
    CustomerSuspended,
)
from rental.customers.application.commands import (
    CustomerDetailsInput,
    CustomerMatch,
    RegisterCustomer,
    UpdateCustomerProfile,
)
from rental.customers.application.queries import (
    CustomerDetails,
    CustomerIds,
    CustomerPage,
    SearchCustomers,
)
from rental.customers.domain.models import CANNOT_BOOK, COMPARED_FIELDS, Address
from rental.customers.facade import CustomerFacade

__all__ = [
    "CANNOT_BOOK",
    "COMPARED_FIELDS",
    "Address",
    "CustomerAnonymised",
    "CustomerDeleted",
    "CustomerDetails",
    "CustomerDetailsInput",
    "CustomerFacade",
    "CustomerIds",
    "CustomerMatch",
    "CustomerPage",
    "CustomerProfileUpdated",
    "CustomerReactivated",
    "CustomerRegistered",
    "CustomerSuspended",
    "RegisterCustomer",
    "SearchCustomers",
    "UpdateCustomerProfile",
]
