"""CRM's rows: read for update (FOR UPDATE on PostgreSQL: two events of one customer handled
by two workers at once are applied one after the other, not on the same old row), created
when an event is about a customer CRM never saw."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from rental.crm.domain.loyalty import LoyaltyStatus, Tier
from rental.crm.domain.preferences import Preferences
from rental.crm.infrastructure.entities import (
    CLVEntity,
    ConsentLogEntity,
    LoyaltyEntity,
    PreferencesEntity,
    RentalHistoryEntity,
)
from rental.shared.db import is_postgres


def _locked(session: Session, entity: type, key: str):
    return session.get(entity, key, with_for_update=True, populate_existing=True)


class CRMRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- rental history ---
    def history_line(self, line_id: str) -> RentalHistoryEntity | None:
        return _locked(self.session, RentalHistoryEntity, line_id)

    def add_pending(self, row: object) -> None:
        """A new row, flushed once its fields are set."""
        self.session.add(row)

    def history_page(
        self, customer_id: str, page: int, page_size: int
    ) -> tuple[Sequence[RentalHistoryEntity], int]:
        base = select(RentalHistoryEntity).where(RentalHistoryEntity.customer_id == customer_id)
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = self.session.scalars(
            base.order_by(RentalHistoryEntity.period_start.desc(), RentalHistoryEntity.line_id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return rows, total

    def history_of(self, customer_id: str) -> Sequence[RentalHistoryEntity]:
        """Every line of the customer, the earliest first (the privacy export)."""
        return self.session.scalars(
            select(RentalHistoryEntity)
            .where(RentalHistoryEntity.customer_id == customer_id)
            .order_by(RentalHistoryEntity.period_start, RentalHistoryEntity.line_id)
        ).all()

    # --- loyalty ---
    def loyalty_row(self, customer_id: str, *, lock: bool = True) -> LoyaltyEntity | None:
        if lock:
            return _locked(self.session, LoyaltyEntity, customer_id)
        return self.session.get(LoyaltyEntity, customer_id)

    def loyalty_for_update(self, customer_id: str) -> LoyaltyStatus:
        """The customer's status, its row locked until the commit (a fresh one if none)."""
        row = self.loyalty_row(customer_id)
        return to_status(row) if row else LoyaltyStatus()

    def save_loyalty(self, customer_id: str, status: LoyaltyStatus) -> None:
        row = self.loyalty_row(customer_id)
        if row is None:
            row = LoyaltyEntity(customer_id=customer_id)
            self.session.add(row)
        row.points = status.points
        row.tier = status.tier.name
        row.last_qualifying_at = status.last_qualifying_at
        row.tier_expires_at = status.tier_expires_at
        self.session.flush()

    def expired_loyalty(self, now: datetime, limit: int) -> Sequence[LoyaltyEntity]:
        """Rows whose tier expiry has passed, locked (SKIP LOCKED on PostgreSQL: a row an
        event is updating is taken on the next run)."""
        return self.session.scalars(
            select(LoyaltyEntity)
            .where(LoyaltyEntity.tier_expires_at.is_not(None), LoyaltyEntity.tier_expires_at <= now)
            .order_by(LoyaltyEntity.tier_expires_at, LoyaltyEntity.customer_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()

    # --- lifetime value ---
    def clv_row(self, customer_id: str) -> CLVEntity | None:
        return _locked(self.session, CLVEntity, customer_id)

    def high_value(
        self, page: int, page_size: int, tier: Tier | None
    ) -> tuple[list[tuple[CLVEntity, LoyaltyEntity | None]], int]:
        query = select(CLVEntity, LoyaltyEntity).outerjoin(
            LoyaltyEntity, LoyaltyEntity.customer_id == CLVEntity.customer_id
        )
        if tier is not None:
            if tier == Tier.BRONZE:  # no loyalty row yet is Bronze too
                query = query.where(
                    (LoyaltyEntity.tier == tier.name) | (LoyaltyEntity.customer_id.is_(None))
                )
            else:
                query = query.where(LoyaltyEntity.tier == tier.name)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.execute(
            query.order_by(CLVEntity.amount.desc(), CLVEntity.customer_id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return [(clv, loyalty) for clv, loyalty in rows], total

    def clv(self, customer_id: str) -> CLVEntity | None:
        return self.session.get(CLVEntity, customer_id)

    # --- privacy ---
    def delete_customer(self, customer_id: str) -> int:
        """Every CRM row of the customer (projections, preferences, consent log): how many."""
        deleted = 0
        for entity in (
            RentalHistoryEntity,
            LoyaltyEntity,
            CLVEntity,
            PreferencesEntity,
            ConsentLogEntity,
        ):
            result = self.session.execute(
                delete(entity).where(entity.customer_id == customer_id),
                execution_options={"synchronize_session": False},
            )
            deleted += result.rowcount or 0
        return deleted

    # --- the rebuild ---
    def delete_projections(self) -> None:
        """History, loyalty and lifetime value: every row (the rebuild makes them again).

        PostgreSQL: the three tables are locked EXCLUSIVE first (reads go on; the worker's
        CRM handlers wait for the rebuild's commit). A handler that committed before the lock
        is in the replay; one still open when the lock is asked for is waited for (it wrote)
        or waits (it had not), and applies its event to the rebuilt rows afterwards. SQLite:
        the rebuild's BEGIN IMMEDIATE already keeps every writer out."""
        if is_postgres(self.session):
            self.session.execute(
                text("LOCK TABLE crm_rental_history, crm_loyalty, crm_clv IN EXCLUSIVE MODE")
            )
        for entity in (RentalHistoryEntity, LoyaltyEntity, CLVEntity):
            self.session.execute(delete(entity), execution_options={"synchronize_session": False})
        self.session.expunge_all()

    def projection_counts(self) -> tuple[int, int, int]:
        history, loyalty, clv = (
            self.session.scalar(select(func.count()).select_from(entity)) or 0
            for entity in (RentalHistoryEntity, LoyaltyEntity, CLVEntity)
        )
        return history, loyalty, clv

    def equipment_names(self) -> dict[tuple[str, str], str]:
        """(line, type) → the name the line stored (kept by a rebuild: events carry no name)."""
        return {
            (line, type_id): name
            for line, type_id, name in self.session.execute(
                select(
                    RentalHistoryEntity.line_id,
                    RentalHistoryEntity.equipment_type_id,
                    RentalHistoryEntity.equipment_name,
                )
            )
        }

    # --- preferences ---
    def preferences(self, customer_id: str, *, lock: bool = False) -> Preferences:
        row = (
            _locked(self.session, PreferencesEntity, customer_id)
            if lock
            else self.session.get(PreferencesEntity, customer_id)
        )
        if row is None:
            return Preferences()
        return Preferences(row.marketing_email, row.sms, row.newsletter)

    def save_preferences(
        self,
        customer_id: str,
        prefs: Preferences,
        changed: list[tuple[str, bool]],
        source: str,
        at: datetime,
    ) -> None:
        row = self.session.get(PreferencesEntity, customer_id)
        if row is None:
            row = PreferencesEntity(customer_id=customer_id)
            self.session.add(row)
        row.marketing_email, row.sms, row.newsletter = (
            prefs.marketing_email,
            prefs.sms,
            prefs.newsletter,
        )
        row.updated_at = at
        for field, value in changed:
            self.session.add(
                ConsentLogEntity(
                    customer_id=customer_id, field=field, value=value, source=source, at=at
                )
            )
        self.session.flush()

    def consent_log(self, customer_id: str) -> Sequence[ConsentLogEntity]:
        return self.session.scalars(
            select(ConsentLogEntity)
            .where(ConsentLogEntity.customer_id == customer_id)
            .order_by(ConsentLogEntity.id)
        ).all()

    # --- the exports (streamed: a batch of rows at a time, never the whole table) ---
    def _stream(self, statement) -> Iterator:
        return self.session.scalars(statement.execution_options(yield_per=STREAM_BATCH))

    def stream_history(self) -> Iterator[RentalHistoryEntity]:
        h = RentalHistoryEntity
        return self._stream(select(h).order_by(h.customer_id, h.period_start, h.line_id))

    def stream_loyalty(self) -> Iterator[LoyaltyEntity]:
        return self._stream(select(LoyaltyEntity).order_by(LoyaltyEntity.customer_id))

    def stream_clv(self) -> Iterator[CLVEntity]:
        return self._stream(
            select(CLVEntity).order_by(CLVEntity.amount.desc(), CLVEntity.customer_id)
        )

    def stream_preferences(self) -> Iterator[PreferencesEntity]:
        return self._stream(select(PreferencesEntity).order_by(PreferencesEntity.customer_id))

    def stream_consent_log(self) -> Iterator[ConsentLogEntity]:
        return self._stream(select(ConsentLogEntity).order_by(ConsentLogEntity.id))


STREAM_BATCH = 500


def to_status(row: LoyaltyEntity) -> LoyaltyStatus:
    return LoyaltyStatus(
        points=row.points,
        tier=Tier[row.tier],
        last_qualifying_at=row.last_qualifying_at,
        tier_expires_at=row.tier_expires_at,
    )


ZERO = Decimal(0)
