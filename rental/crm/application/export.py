"""CRM's read models exported for offline analysis (the spec's "exportable read models"): each
projection as rows, read a batch at a time, for the staff CSV downloads.

Rows are keyed by customer ID, without names or contact details: those stay in Customers, and
an analysis of rentals, loyalty and value needs none of them. Amounts are plain decimals with
their currency in its own column; times are ISO 8601 in UTC; yes/no as true/false."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rental.crm.domain.loyalty import Tier
from rental.crm.infrastructure.repositories import CRMRepository

Row = tuple[object, ...]


@dataclass(frozen=True)
class Export:
    name: str  # in the address: /admin/crm/export/<name>.csv
    title: str
    description: str
    header: tuple[str, ...]


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _amount(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _history(repo: CRMRepository) -> Iterator[Row]:
    for r in repo.stream_history():
        yield (
            r.customer_id,
            r.order_reference,
            r.reference,
            r.equipment_type_id,
            r.equipment_name,
            r.quantity,
            _when(r.period_start),
            _when(r.period_end),
            r.duration_minutes,
            _amount(r.amount),
            r.currency,
            r.status,
            r.points,
        )


def _loyalty(repo: CRMRepository) -> Iterator[Row]:
    for r in repo.stream_loyalty():
        yield (
            r.customer_id,
            Tier[r.tier].label,
            r.points,
            _when(r.last_qualifying_at),
            _when(r.tier_expires_at),
        )


def _clv(repo: CRMRepository) -> Iterator[Row]:
    for r in repo.stream_clv():
        yield (r.customer_id, _amount(r.amount), r.currency, _when(r.updated_at))


def _preferences(repo: CRMRepository) -> Iterator[Row]:
    for r in repo.stream_preferences():
        yield (
            r.customer_id,
            _flag(r.marketing_email),
            _flag(r.sms),
            _flag(r.newsletter),
            _when(r.updated_at),
        )


def _consent(repo: CRMRepository) -> Iterator[Row]:
    for r in repo.stream_consent_log():
        yield (r.id, r.customer_id, r.field, _flag(r.value), r.source, _when(r.at))


_EXPORTS: tuple[tuple[Export, Callable[[CRMRepository], Iterator[Row]]], ...] = (
    (
        Export(
            "rental-history",
            "Rental history",
            "Every booking line of every customer, with its equipment, period, amount, "
            "status and the points it earned.",
            (
                "customer_id",
                "order_reference",
                "reference",
                "equipment_type_id",
                "equipment_name",
                "quantity",
                "start_utc",
                "end_utc",
                "duration_minutes",
                "amount",
                "currency",
                "status",
                "points",
            ),
        ),
        _history,
    ),
    (
        Export(
            "loyalty",
            "Loyalty status",
            "Tier, points, last qualifying rental and when the tier expires.",
            ("customer_id", "tier", "points", "last_qualifying_utc", "tier_expires_utc"),
        ),
        _loyalty,
    ),
    (
        Export(
            "lifetime-value",
            "Lifetime value",
            "Payments received less refunds, per customer, the highest first.",
            ("customer_id", "lifetime_value", "currency", "updated_utc"),
        ),
        _clv,
    ),
    (
        Export(
            "preferences",
            "Communication preferences",
            "What each customer agreed to receive now (all off unless changed).",
            ("customer_id", "marketing_email", "sms", "newsletter", "updated_utc"),
        ),
        _preferences,
    ),
    (
        Export(
            "consent-log",
            "Consent log",
            "Every change of a preference: what, to what, who recorded it and when.",
            ("id", "customer_id", "field", "value", "source", "at_utc"),
        ),
        _consent,
    ),
)

EXPORTS: dict[str, Export] = {export.name: export for export, _ in _EXPORTS}
_ROWS = {export.name: rows for export, rows in _EXPORTS}


def export_rows(repo: CRMRepository, name: str) -> Iterator[Row]:
    """The rows of the export `name` (one of EXPORTS), read lazily."""
    return _ROWS[name](repo)
