"""The write side of the ledgers: command dataclasses and `LedgerCommands`.

Each command runs inside the caller's unit of work, locks the order's ledger row (FOR UPDATE)
so that two staff recording at once take turns, appends entries and records one event per
entry through the outbox in the same transaction. `LedgerCommands` also follows Booking's
reservation events (charges per booking line, idempotent)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
    ReservationEvent,
)
from rental.contracts.payments import (
    ChargeAdded,
    EntryReversed,
    PaymentReceived,
    RefundIssued,
)
from rental.payments.application.cancellation import cancellation_fee_charge
from rental.payments.domain.deposits import follow_line_deposit
from rental.payments.domain.ledger import (
    Account,
    Category,
    Entry,
    EntryKind,
    Ledger,
    Method,
    check_amount,
)
from rental.payments.domain.part_cancellation import fee_to_charge
from rental.payments.domain.policy import PaymentPolicy
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared.errors import (
    ConflictError,
    InputWarning,
    NotFoundError,
    ValidationError,
    ensure_confirmed,
)
from rental.shared.events import Event
from rental.shared.money import Money

Record = Callable[[Event], None]
Clock = Callable[[], datetime]

REASON_MAX = 500
REFERENCE_MAX = 100
BOOKING = "booking"  # the actor of entries recorded from Booking's events


@dataclass(frozen=True, slots=True)
class RecordPayment:
    """`seen_balance`: the account's balance the staff member saw; a different balance now
    (someone recorded meanwhile) refuses the payment. `confirmed`: warning codes confirmed
    (`more_than_due`)."""

    order_id: str
    amount: Decimal
    method: Method
    account: Account
    actor: str
    reference: str = ""
    seen_balance: Decimal | None = None
    confirmed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class IssueRefund:
    order_id: str
    amount: Decimal
    method: Method
    account: Account
    actor: str
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AddCharge:
    order_id: str
    amount: Decimal
    category: Category
    account: Account
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class ReverseEntry:
    """Asks first: without `reverse` among `confirmed` it raises NeedsConfirmation."""

    order_id: str
    entry_id: str
    reason: str
    actor: str
    confirmed: frozenset[str] = field(default_factory=frozenset)


def _text(value: str, *, field: str, label: str, limit: int, required: bool = False) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise ValidationError(f"Give the {label}.", field=field)
    if len(text) > limit:
        raise ValidationError(f"The {label} can be at most {limit} characters.", field=field)
    return text


class LedgerCommands:
    def __init__(
        self,
        ledgers: LedgerRepository,
        *,
        clock: Clock,
        record: Record,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        policy: Callable[[], PaymentPolicy] = PaymentPolicy,
    ) -> None:
        self.ledgers = ledgers
        self.clock = clock
        self.record = record
        self.new_id = new_id
        self.policy = policy

    def _rental(self, event: ReservationEvent) -> Money:
        """The line's rental as the ledger charges it: what the customer pays (a net booking
        total with the policy's VAT added: PaymentPolicy.gross). The deposit is not converted:
        it is not a supply and carries no VAT."""
        return self.policy().gross(event.total.rounded())

    # --- staff -----------------------------------------------------------------------------

    def _locked(self, order_id: str) -> Ledger:
        ledger = self.ledgers.get(order_id, for_update=True)
        if ledger is None:
            raise NotFoundError(
                "This order has no ledger yet: it is opened when the booking is confirmed."
            )
        return ledger

    def record_payment(self, command: RecordPayment) -> str:
        reference = _text(
            command.reference, field="reference", label="reference", limit=REFERENCE_MAX
        )
        ledger = self._locked(command.order_id)
        check_amount(command.amount, ledger.currency)
        balance = ledger.balance(command.account)
        if command.seen_balance is not None and command.seen_balance != balance.amount:
            raise ConflictError(
                f"The {command.account.value} balance changed while you were recording: it is "
                f"now {balance.format()}. Check the ledger and record the payment again "
                "if it is still needed."
            )
        ensure_confirmed(
            ledger.payment_warnings(command.amount, command.account), command.confirmed
        )
        entry = ledger.record_payment(
            entry_id=self.new_id(),
            amount=command.amount,
            account=command.account,
            method=command.method,
            reference=reference,
            actor=command.actor,
            at=self.clock(),
        )
        self._store(ledger, [entry])
        return entry.id

    def issue_refund(self, command: IssueRefund) -> str:
        reference = _text(
            command.reference, field="reference", label="reference", limit=REFERENCE_MAX
        )
        reason = _text(command.reason, field="reason", label="reason", limit=REASON_MAX)
        ledger = self._locked(command.order_id)
        entry = ledger.issue_refund(
            entry_id=self.new_id(),
            amount=command.amount,
            account=command.account,
            method=command.method,
            reference=reference,
            reason=reason,
            actor=command.actor,
            at=self.clock(),
        )
        self._store(ledger, [entry])
        return entry.id

    def add_charge(self, command: AddCharge) -> str:
        reason = _text(
            command.reason, field="reason", label="reason", limit=REASON_MAX, required=True
        )
        ledger = self._locked(command.order_id)
        entry = ledger.add_charge(
            entry_id=self.new_id(),
            amount=command.amount,
            account=command.account,
            category=command.category,
            reason=reason,
            actor=command.actor,
            at=self.clock(),
        )
        self._store(ledger, [entry])
        return entry.id

    def reverse_entry(self, command: ReverseEntry) -> str:
        reason = _text(
            command.reason, field="reason", label="reason", limit=REASON_MAX, required=True
        )
        ledger = self._locked(command.order_id)
        target = ledger.entry(command.entry_id)
        entry = ledger.reverse(
            entry_id=self.new_id(),
            target_id=target.id,
            reason=reason,
            actor=command.actor,
            at=self.clock(),
        )
        ledger.entries.pop()  # checked; now ask before keeping it
        ensure_confirmed(
            [
                InputWarning(
                    "reverse",
                    f"Reverse the {target.kind.value.lower()} of {target.amount.format()} "
                    f"recorded by {target.actor}? A counter-entry is added; this cannot be "
                    "undone.",
                )
            ],
            command.confirmed,
        )
        ledger.entries.append(entry)
        self._store(ledger, [entry])
        return entry.id

    # --- Booking's events -------------------------------------------------------------------

    def _for_event(self, event: ReservationEvent) -> Ledger:
        """The order's ledger (locked), opened from the event when it has none yet."""
        order_id = event.order
        ledger = self.ledgers.get(order_id, for_update=True)
        if ledger is None:
            ledger = Ledger(
                order_id=order_id,
                currency=event.total.currency,
                order_reference=event.order_reference or event.reference,
                customer_id=event.customer_id,
            )
            self.ledgers.open(ledger, self.clock())
            ledger = self.ledgers.get(order_id, for_update=True)
            assert ledger is not None
        if event.total.currency != ledger.currency:
            raise ValidationError(
                f"Order {ledger.order_reference} is kept in {ledger.currency}; a line priced "
                f"in {event.total.currency} cannot be charged to it."
            )
        return ledger

    def on_confirmed(self, event: ReservationConfirmed) -> None:
        ledger = self._for_event(event)
        if ledger.line_charged(event.reservation_id):
            return  # confirmed twice, or a newer change already charged the line
        entries: list[Entry] = []
        if event.total.amount > 0:
            entries.append(
                ledger.add_charge(
                    entry_id=self.new_id(),
                    amount=self._rental(event).amount,
                    account=Account.RENTAL,
                    category=Category.RENTAL,
                    reason=f"Rental {event.reference}",
                    actor=BOOKING,
                    at=self.clock(),
                    line_id=event.reservation_id,
                    line_sequence=event.sequence,
                )
            )
        entries += self._follow_deposit(ledger, event)
        self._store(ledger, entries)

    def _follow_deposit(self, ledger: Ledger, event: ReservationEvent) -> list[Entry]:
        """The line's deposit charged on the deposit account (domain/deposits.py)."""
        return follow_line_deposit(
            ledger,
            line_id=event.reservation_id,
            deposit=event.deposit,
            reference=event.reference,
            sequence=event.sequence,
            actor=BOOKING,
            at=self.clock(),
            new_id=self.new_id,
        )

    def on_changed(self, event: ReservationChanged) -> None:
        if not event.is_live:
            return  # a hold that changed owes nothing yet
        ledger = self._for_event(event)
        line = event.reservation_id
        if ledger.line_charged(line) and event.sequence <= ledger.line_sequence(line):
            return  # an older event than what the ledger already holds for the line
        new_total = self._rental(event)
        difference = new_total - ledger.line_total(line)
        at = self.clock()
        entries: list[Entry] = []
        if difference.amount > 0:
            entries.append(
                ledger.add_charge(
                    entry_id=self.new_id(),
                    amount=difference.amount,
                    account=Account.RENTAL,
                    category=Category.ADJUSTMENT if ledger.line_charged(line) else Category.RENTAL,
                    reason=f"Booking {event.reference} changed: new total {new_total.format()}",
                    actor=BOOKING,
                    at=at,
                    line_id=line,
                    line_sequence=event.sequence,
                )
            )
        elif difference.amount < 0:
            # Amounts are positive: reverse what the line holds and charge the new total.
            for charge in ledger.live_line_charges(line, Account.RENTAL):
                entries.append(
                    ledger.reverse(
                        entry_id=self.new_id(),
                        target_id=charge.id,
                        reason=f"Booking {event.reference} changed",
                        actor=BOOKING,
                        at=at,
                        line_sequence=event.sequence,
                    )
                )
            if new_total.amount > 0:
                entries.append(
                    ledger.add_charge(
                        entry_id=self.new_id(),
                        amount=new_total.amount,
                        account=Account.RENTAL,
                        category=Category.RENTAL,
                        reason=f"Rental {event.reference} (changed)",
                        actor=BOOKING,
                        at=at,
                        line_id=line,
                        line_sequence=event.sequence,
                    )
                )
        entries += self._follow_deposit(ledger, event)
        self._store(ledger, entries)

    def on_cancelled(self, event: ReservationCancelled) -> None:
        fee = event.fee.rounded() if event.fee is not None and event.fee.amount > 0 else None
        ledger = self._for_event(event) if fee else self.ledgers.get(event.order, for_update=True)
        if ledger is None:
            return  # never confirmed: nothing was charged
        line = event.reservation_id
        if event.sequence and ledger.line_sequence(line) >= event.sequence:
            return  # applied already (a redelivery): the fee is never charged twice
        if fee:  # a fixed fee: less what earlier removals' events charged since it was worked out
            fee = fee_to_charge(ledger, fee, event.fees_before)
        at = self.clock()
        entries = [
            ledger.reverse(
                entry_id=self.new_id(),
                target_id=charge.id,
                reason=f"Booking {event.reference} cancelled",
                actor=BOOKING,
                at=at,
                line_sequence=event.sequence,
            )
            for charge in ledger.live_line_charges(line)
        ]
        if fee:
            entries.append(cancellation_fee_charge(ledger, event, fee, self.new_id(), at))
        self._store(ledger, entries)

    # --- storing and telling ----------------------------------------------------------------

    def _store(self, ledger: Ledger, entries: Iterable[Entry]) -> None:
        entries = list(entries)
        if not entries:
            return
        self.ledgers.append(ledger, entries)
        for e in entries:
            self.record(self._event(ledger, e))

    def _event(self, ledger: Ledger, e: Entry) -> Event:
        common = dict(
            order_id=ledger.order_id,
            order_reference=ledger.order_reference,
            customer_id=ledger.customer_id,
            entry_id=e.id,
            account=e.account.value,
            category=e.category.value,
            amount=e.amount,
            balance=ledger.balance(),
            actor=e.actor,
        )
        if e.reverses:
            return EntryReversed(
                **common,
                reversed_entry_id=e.reverses,
                reversed_kind=e.kind.value,
                reason=e.reason,
            )
        method = e.method.value if e.method else ""
        if e.kind == EntryKind.PAYMENT:
            return PaymentReceived(**common, method=method, reference=e.reference)
        if e.kind == EntryKind.REFUND:
            return RefundIssued(**common, method=method, reference=e.reference, reason=e.reason)
        return ChargeAdded(**common, reason=e.reason, line_id=e.line_id or "")
