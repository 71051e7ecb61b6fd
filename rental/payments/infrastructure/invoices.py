"""Invoices and credit notes in the database: the frozen documents (payments_documents, never
updated nor deleted — the ORM refuses it) and one counter row per number series and year
(payments_document_counters) that hands out the next number inside the issuing transaction.

Gapless and concurrency-safe on both databases: the counter row is created if missing
(INSERT … ON CONFLICT DO NOTHING), then locked (SELECT … FOR UPDATE) before anything else is
read, and bumped in the same transaction as the document is written. A second issuer waits
for the row until the first commits (PostgreSQL) or for the write lock (SQLite: BEGIN
IMMEDIATE); a rollback gives the number back, so no number is ever skipped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from rental.payments.domain.invoices import (
    Document,
    DocumentKind,
    DocumentLine,
    InvoiceState,
    Party,
    TaxSummary,
)
from rental.shared.db import Base, UTCDateTime
from rental.shared.money import Money


class DocumentCounterEntity(Base):
    __tablename__ = "payments_document_counters"

    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class DocumentEntity(Base):
    __tablename__ = "payments_documents"
    __table_args__ = (UniqueConstraint("series", "year", "sequence"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    series: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    order_reference: Mapped[str] = mapped_column(String(40), default="")
    customer_id: Mapped[str] = mapped_column(String(36), default="")
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    net: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    vat: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    credits_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("payments_documents.id"), index=True
    )
    # A credit note that credited what was left of its invoice (cancelled or re-issued).
    closes: Mapped[bool] = mapped_column(default=False)
    actor: Mapped[str] = mapped_column(String(254))
    # Everything printed: seller, buyer, lines, VAT rate, paid, reason, due date.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


@event.listens_for(DocumentEntity, "before_update")
@event.listens_for(DocumentEntity, "before_delete")
def _frozen(_mapper: Any, _connection: Any, target: DocumentEntity) -> None:
    raise RuntimeError(f"Document {target.number} is issued: it is never changed nor deleted.")


# --- mapping ---------------------------------------------------------------------------------


def _money(value: str | Decimal, currency: str) -> Money:
    return Money(Decimal(value), currency)


def _party(data: dict[str, Any]) -> Party:
    return Party(
        name=data.get("name", ""),
        address_lines=tuple(data.get("address_lines", ())),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        vat_id=data.get("vat_id", ""),
    )


def _party_data(p: Party) -> dict[str, Any]:
    return {
        "name": p.name,
        "address_lines": list(p.address_lines),
        "phone": p.phone,
        "email": p.email,
        "vat_id": p.vat_id,
    }


def to_domain(row: DocumentEntity) -> Document:
    c = row.content
    cur = row.currency
    return Document(
        id=row.id,
        kind=DocumentKind(row.kind),
        number=row.number,
        year=row.year,
        sequence=row.sequence,
        issue_date=row.issue_date,
        issued_at=row.issued_at,
        order_id=row.order_id,
        order_reference=row.order_reference,
        customer_id=row.customer_id,
        currency=cur,
        seller=_party(c["seller"]),
        buyer=_party(c["buyer"]),
        lines=tuple(
            DocumentLine(
                description=x["description"],
                period=x["period"],
                quantity=int(x["quantity"]),
                amount=_money(x["amount"], cur),
            )
            for x in c["lines"]
        ),
        tax=TaxSummary(
            rate=Decimal(c["vat_rate"]),
            prices_include_vat=bool(c["prices_include_vat"]),
            net=_money(row.net, cur),
            vat=_money(row.vat, cur),
            gross=_money(row.total, cur),
        ),
        paid=_money(c.get("paid", "0"), cur),
        actor=row.actor,
        credits_id=row.credits_id,
        credits_number=c.get("credits_number", ""),
        reason=c.get("reason", ""),
        due_date=date.fromisoformat(c["due_date"]) if c.get("due_date") else None,
    )


def to_entity(d: Document, *, closes: bool = False) -> DocumentEntity:
    return DocumentEntity(
        id=d.id,
        kind=d.kind.value,
        series=d.kind.series,
        year=d.year,
        sequence=d.sequence,
        number=d.number,
        issue_date=d.issue_date,
        issued_at=d.issued_at,
        order_id=d.order_id,
        order_reference=d.order_reference,
        customer_id=d.customer_id,
        customer_name=d.buyer.name[:200],
        currency=d.currency,
        net=d.tax.net.amount,
        vat=d.tax.vat.amount,
        total=d.tax.gross.amount,
        credits_id=d.credits_id,
        closes=closes,
        actor=d.actor,
        content={
            "seller": _party_data(d.seller),
            "buyer": _party_data(d.buyer),
            "lines": [
                {
                    "description": x.description,
                    "period": x.period,
                    "quantity": x.quantity,
                    "amount": str(x.amount.amount),
                }
                for x in d.lines
            ],
            "vat_rate": str(d.tax.rate),
            "prices_include_vat": d.tax.prices_include_vat,
            "paid": str(d.paid.amount),
            "credits_number": d.credits_number,
            "reason": d.reason,
            "due_date": d.due_date.isoformat() if d.due_date else None,
        },
    )


# --- the repository ----------------------------------------------------------------------------


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # numbers

    def lock_series(self, kind: DocumentKind, year: int) -> int:
        """Lock the series' counter row for the year (created at 0 when missing) until the
        transaction ends; returns the last number handed out."""
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        self.session.execute(
            insert(DocumentCounterEntity)
            .values(series=kind.series, year=year, last=0)
            .on_conflict_do_nothing()
        )
        row = self.session.execute(
            select(DocumentCounterEntity.last)
            .where(DocumentCounterEntity.series == kind.series, DocumentCounterEntity.year == year)
            .with_for_update()
        ).one()
        return int(row.last)

    def take_number(self, kind: DocumentKind, year: int) -> int:
        """The next number of the series (the row must be locked by `lock_series`)."""
        last = self.lock_series(kind, year)
        counter = self.session.get(DocumentCounterEntity, (kind.series, year))
        assert counter is not None
        counter.last = last + 1
        self.session.flush()
        return counter.last

    # documents

    def add(self, document: Document, *, closes: bool = False) -> None:
        self.session.add(to_entity(document, closes=closes))
        self.session.flush()

    def get(self, document_id: str) -> Document | None:
        row = self.session.get(DocumentEntity, document_id)
        return to_domain(row) if row is not None else None

    def for_order(self, order_id: str) -> list[Document]:
        rows = self.session.scalars(
            select(DocumentEntity)
            .where(DocumentEntity.order_id == order_id)
            .order_by(DocumentEntity.issued_at, DocumentEntity.kind, DocumentEntity.sequence)
        ).all()
        return [to_domain(r) for r in rows]

    def invoice_states(self, order_id: str) -> list[InvoiceState]:
        """The order's invoices, oldest first, each with what its credit notes credited."""
        rows = self.session.scalars(
            select(DocumentEntity)
            .where(DocumentEntity.order_id == order_id)
            .order_by(DocumentEntity.issued_at, DocumentEntity.sequence)
        ).all()
        states = []
        for row in rows:
            if row.kind != DocumentKind.INVOICE.value:
                continue
            notes = [r for r in rows if r.credits_id == row.id]
            states.append(
                InvoiceState(
                    invoice=to_domain(row),
                    credited=Money(
                        sum((Decimal(r.total) for r in notes), Decimal(0)), row.currency
                    ),
                    closed=any(r.closes for r in notes),
                )
            )
        return states

    def search(
        self,
        *,
        kind: str | None,
        start: date | None,
        end: date | None,
        text: str,
        offset: int,
        limit: int,
    ) -> tuple[list[Document], int]:
        """Documents newest first, filtered; and how many match in all."""
        query = _documents_query(kind, start, end, text)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(DocumentEntity.issued_at.desc(), DocumentEntity.number.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return [to_domain(r) for r in rows], int(total)

    def stream(
        self, *, kind: str | None, start: date | None, end: date | None, text: str
    ) -> Iterator[list[Document]]:
        """What `search` finds, every page, newest first: a batch of STREAM_BATCH at a time
        (the CSV export: never the whole table in memory)."""
        query = _documents_query(kind, start, end, text).order_by(
            DocumentEntity.issued_at.desc(), DocumentEntity.number.desc()
        )
        rows = iter(self.session.scalars(query.execution_options(yield_per=STREAM_BATCH)))
        while batch := list(islice(rows, STREAM_BATCH)):
            yield [to_domain(r) for r in batch]


STREAM_BATCH = 500  # rows per round trip of the CSV export


def _documents_query(kind: str | None, start: date | None, end: date | None, text: str) -> Any:
    query = select(DocumentEntity)
    if kind:
        query = query.where(DocumentEntity.kind == kind)
    if start is not None:
        query = query.where(DocumentEntity.issue_date >= start)
    if end is not None:
        query = query.where(DocumentEntity.issue_date < end)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(DocumentEntity.number).like(like),
                func.lower(DocumentEntity.order_reference).like(like),
                func.lower(DocumentEntity.customer_name).like(like),
            )
        )
    return query
