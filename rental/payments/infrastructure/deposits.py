"""The photos of damage kept from a deposit (payments_damage_photos): one row per damage
charge that has a photo, naming the image's files in the private damage-photo store (never
served at /media; only staff see them, through /admin/payments/damage-photos/…)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.images import StoredImage


class DamagePhotoEntity(Base):
    __tablename__ = "payments_damage_photos"

    entry_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("payments_entries.id"), primary_key=True
    )
    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("payments_ledgers.order_id"), index=True
    )
    image_key: Mapped[str] = mapped_column(String(32), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DamagePhotoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order_id: str, entry_id: str, image: StoredImage, at: datetime) -> None:
        self.session.add(
            DamagePhotoEntity(
                entry_id=entry_id,
                order_id=order_id,
                image_key=image.key,
                width=image.width,
                height=image.height,
                created_at=at,
            )
        )
        self.session.flush()

    def for_order(self, order_id: str) -> dict[str, StoredImage]:
        """The order's damage photos by the damage charge's entry ID."""
        rows = self.session.scalars(
            select(DamagePhotoEntity).where(DamagePhotoEntity.order_id == order_id)
        ).all()
        return {r.entry_id: StoredImage(r.image_key, r.width, r.height) for r in rows}
