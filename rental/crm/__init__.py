"""CRM: what the business knows of its relationship with each customer — rental history,
loyalty, lifetime value, communication preferences — as projections of Booking's and
Payments' events (CRM never reads their tables or facades).

Other modules import only from here: `CRMFacade` and the commands and DTOs it takes and
returns, and the event it publishes, `LoyaltyTierChanged` (rental.contracts.crm), when the
worker's projection changes a customer's tier (never on `crm rebuild`).

Layout (the shape every module has, docs/architecture.md):
    facade.py                     CRMFacade: wiring and one unit_of_work per command
    module.py                     init_app: the events, the customer page's section
    domain/loyalty.py             points, Tier, tier_for, qualify, take_back, expire (pure)
    domain/history.py             LineStatus, which event of a line applies (by sequence)
    domain/preferences.py         Preferences (all off by default), what a change touches
    application/projections.py    Projections: the event handlers' logic
    application/event_handlers.py the subscriptions (ReservationConfirmed / Changed /
                                  Completed / Cancelled, PaymentReceived, RefundIssued,
                                  EntryReversed)
    application/queries.py        CRMQueries + HistoryPage, LoyaltyView, HighValuePage
    application/export.py         EXPORTS: each read model as rows, for the CSV downloads
    application/commands.py       UpdateCommunicationPreferences, PreferenceCommands
    infrastructure/entities.py    crm_rental_history, crm_loyalty, crm_clv, crm_preferences,
                                  crm_consent_log
    infrastructure/repositories.py  CRMRepository
    web.py                        the customer page's section, the preferences form, the
                                  customers by lifetime value, the CSV exports
"""

from rental.contracts.crm import LoyaltyTierChanged
from rental.crm.application.commands import UpdateCommunicationPreferences
from rental.crm.application.queries import (
    HighValueCustomer,
    HighValuePage,
    HistoryPage,
    LoyaltyView,
    RentalHistoryItem,
)
from rental.crm.domain.loyalty import Tier, tier_for
from rental.crm.domain.preferences import Preferences
from rental.crm.facade import CRMFacade

__all__ = [
    "CRMFacade",
    "HighValueCustomer",
    "HighValuePage",
    "HistoryPage",
    "LoyaltyTierChanged",
    "LoyaltyView",
    "Preferences",
    "RentalHistoryItem",
    "Tier",
    "UpdateCommunicationPreferences",
    "tier_for",
]
