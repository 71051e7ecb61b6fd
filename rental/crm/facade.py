"""CRMFacade: the only way other modules (and the web layer) reach CRM's projections.

Wiring and transactions only; the rules live in `application/` and `domain/`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rental.catalog import CatalogFacade
from rental.crm.application.commands import PreferenceCommands, UpdateCommunicationPreferences
from rental.crm.application.export import EXPORTS, Export, export_rows
from rental.crm.application.privacy import export_for_customer, forget_on_anonymisation
from rental.crm.application.projections import Projections, Publish
from rental.crm.application.queries import (
    CRMQueries,
    HighValuePage,
    HistoryPage,
    LoyaltyView,
)
from rental.crm.application.rebuild import Rebuild, RebuildResult, expire_tiers
from rental.crm.domain.loyalty import Tier
from rental.crm.domain.preferences import Preferences
from rental.crm.infrastructure.repositories import CRMRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import utcnow

HISTORY_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def equipment_name(equipment_type_id: str) -> str:
    """The type's name when the event arrives (stored: history keeps the name it had)."""
    summary = (
        CatalogFacade().get_equipment_type_summaries({equipment_type_id}).get(equipment_type_id)
    )
    return summary.name if summary else equipment_type_id


def projections(
    session: Session | None = None,
    at: datetime | None = None,
    name: Callable[[str], str] = equipment_name,
    publish: Publish | None = None,
) -> Projections:
    """The projections on `session`, their clock reading `at` (the event's time; now if
    None); `publish` (the worker's: outbox.record) gets each real tier change — the rebuild
    passes none."""
    return Projections(
        CRMRepository(session or db.session()),
        clock=utcnow if at is None else (lambda: at),
        equipment_name=name,
        publish=publish,
    )


def _page(page: int) -> int:
    return page if isinstance(page, int) and page >= 1 else 1


def _size(size: int) -> int:
    return min(max(size, 1), MAX_PAGE_SIZE) if isinstance(size, int) else HISTORY_PAGE_SIZE


class CRMFacade:
    def _queries(self) -> CRMQueries:
        return CRMQueries(CRMRepository(db.session()))

    def get_customer_rental_history(
        self, customer_id: str, page: int = 1, page_size: int = HISTORY_PAGE_SIZE
    ) -> HistoryPage:
        """The customer's booking lines, the latest start first."""
        return self._queries().history(customer_id, _page(page), _size(page_size))

    def get_customer_loyalty_status(self, customer_id: str) -> LoyaltyView:
        """Tier, points and when the tier expires (Bronze, 0 points for a customer unknown)."""
        return self._queries().loyalty(customer_id)

    def get_customer_lifetime_value(self, customer_id: str) -> Money | None:
        """Payments received − refunds (None: no payment seen yet)."""
        return self._queries().lifetime_value(customer_id)

    def get_high_value_customers(
        self, limit: int = 20, page: int = 1, tier: Tier | str | None = None
    ) -> HighValuePage:
        """Customers by lifetime value, the highest first; only those of `tier` if given
        (a Tier or its name; an unknown name is a ValidationError)."""
        if isinstance(tier, str):
            try:
                tier = Tier.parse(tier)
            except KeyError:
                raise ValidationError("Unknown loyalty tier.", field="tier") from None
        return self._queries().high_value(_page(page), _size(limit), tier)

    def exports(self) -> list[Export]:
        """The read models staff can download for analysis, in the order the page lists them."""
        return list(EXPORTS.values())

    def export(self, name: str) -> tuple[Export, Iterator[tuple[object, ...]]]:
        """The export `name` and its rows, read a batch at a time once iterated — on the
        session of the context iterating them (a streamed response's request: its teardown
        ends the read). An unknown name is a NotFoundError."""
        if name not in EXPORTS:
            raise NotFoundError("There is no such CRM export.")

        def rows() -> Iterator[tuple[object, ...]]:
            yield from export_rows(CRMRepository(db.session()), name)

        return EXPORTS[name], rows()

    def get_preferences(self, customer_id: str) -> Preferences:
        return self._queries().preferences(customer_id)

    def rebuild_projections(self) -> RebuildResult:
        """Every projection recomputed from the retained outbox messages, in one transaction
        (the preferences and their consent log are a command's, not events': kept)."""
        with unit_of_work() as session:
            return Rebuild(
                CRMRepository(session), projections=projections, equipment_name=equipment_name
            ).run()

    def expire_tiers(self) -> int:
        """The tiers whose expiry has passed, each dropped one level (and published as
        LoyaltyTierChanged). Returns how many."""
        with unit_of_work() as session:
            return expire_tiers(CRMRepository(session), utcnow(), publish=outbox.record)

    def export_for_customer(self, customer_id: str) -> dict[str, Any]:
        """CRM's part of the customer's privacy export (registered by module.py)."""
        return export_for_customer(CRMRepository(db.session()), customer_id)

    def forget_customer(self, customer_id: str) -> list[tuple[str, bool]]:
        """The customer was anonymised: preferences withdrawn, aggregates kept
        (application/privacy.py says why)."""
        with unit_of_work() as session:
            return forget_on_anonymisation(CRMRepository(session), customer_id, utcnow)

    def drop_customer(self, customer_id: str) -> int:
        """The customer was deleted (they never booked): every CRM row of theirs goes,
        preferences and consent log too — there is nobody left to show them for."""
        with unit_of_work() as session:
            return CRMRepository(session).delete_customer(customer_id)

    def update_communication_preferences(
        self, cmd: UpdateCommunicationPreferences
    ) -> list[tuple[str, bool]]:
        with unit_of_work() as session:
            return PreferenceCommands(CRMRepository(session), clock=utcnow).update(cmd)
