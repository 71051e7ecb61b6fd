"""CRM's read side: a customer's rental history, loyalty status, lifetime value and
preferences, and the high-value customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.crm.domain.loyalty import Tier
from rental.crm.domain.preferences import Preferences
from rental.crm.infrastructure.repositories import CRMRepository, to_status
from rental.shared.money import Money
from rental.shared.time_range import TimeRange


@dataclass(frozen=True)
class RentalHistoryItem:
    line_id: str
    order_id: str
    order_reference: str
    reference: str
    equipment_type_id: str
    equipment_name: str
    quantity: int
    start: datetime
    end: datetime
    duration_minutes: int
    amount: Money
    status: str
    points: int

    @property
    def period(self) -> TimeRange:
        return TimeRange(self.start, self.end)


@dataclass(frozen=True)
class HistoryPage:
    items: list[RentalHistoryItem]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)


@dataclass(frozen=True)
class LoyaltyView:
    tier: Tier
    points: int
    expires_at: datetime | None
    last_qualifying_at: datetime | None = None

    @property
    def tier_label(self) -> str:
        return self.tier.label


@dataclass(frozen=True)
class HighValueCustomer:
    customer_id: str
    lifetime_value: Money
    tier: Tier
    points: int


@dataclass(frozen=True)
class HighValuePage:
    items: list[HighValueCustomer]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class CRMQueries:
    def __init__(self, repository: CRMRepository) -> None:
        self.repo = repository

    def history(self, customer_id: str, page: int, page_size: int) -> HistoryPage:
        rows, total = self.repo.history_page(customer_id, page, page_size)
        items = [
            RentalHistoryItem(
                line_id=r.line_id,
                order_id=r.order_id,
                order_reference=r.order_reference,
                reference=r.reference,
                equipment_type_id=r.equipment_type_id,
                equipment_name=r.equipment_name,
                quantity=r.quantity,
                start=r.period_start,
                end=r.period_end,
                duration_minutes=r.duration_minutes,
                amount=Money(r.amount, r.currency),
                status=r.status,
                points=r.points,
            )
            for r in rows
        ]
        return HistoryPage(items, total, page, page_size)

    def loyalty(self, customer_id: str) -> LoyaltyView:
        row = self.repo.loyalty_row(customer_id, lock=False)
        if row is None:
            return LoyaltyView(Tier.BRONZE, 0, None)
        status = to_status(row)
        return LoyaltyView(
            status.tier, status.points, status.tier_expires_at, status.last_qualifying_at
        )

    def lifetime_value(self, customer_id: str) -> Money | None:
        row = self.repo.clv(customer_id)
        return Money(row.amount, row.currency) if row else None

    def high_value(self, page: int, page_size: int, tier: Tier | None) -> HighValuePage:
        rows, total = self.repo.high_value(page, page_size, tier)
        items = [
            HighValueCustomer(
                customer_id=clv.customer_id,
                lifetime_value=Money(clv.amount, clv.currency),
                tier=Tier[loyalty.tier] if loyalty else Tier.BRONZE,
                points=loyalty.points if loyalty else 0,
            )
            for clv, loyalty in rows
        ]
        return HighValuePage(items, total, page, page_size)

    def preferences(self, customer_id: str) -> Preferences:
        return self.repo.preferences(customer_id)
