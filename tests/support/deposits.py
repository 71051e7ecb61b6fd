"""The deposit at the counter in tests: the default payment policy requires an order's deposit
to be paid before its equipment is handed over (issue 12), so tests about the hand-over take
it first — drain the outbox (the ledger is opened and charged from Booking's events), then
record the deposit due as a cash payment."""

from __future__ import annotations

from rental.booking import BookingFacade
from rental.extensions import db
from rental.payments import Account, Method, PaymentsFacade, RecordPayment
from rental.shared.outbox import OutboxProcessor

STAFF = "staff@example.com"


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def order_id_of(reservation_id: str) -> str:
    reservation = BookingFacade().get_reservation(reservation_id)
    db.session.rollback()
    return reservation.order_id or reservation.id


def take_deposit(reservation_id: str) -> None:
    """Pay what is due on the deposit account of the reservation's order (nothing when the
    order has no deposit)."""
    drain()
    order_id = order_id_of(reservation_id)
    view = PaymentsFacade().get_ledger(order_id)
    db.session.rollback()
    if view is None:
        return
    due = view.accounts["deposit"].balance
    if due.amount > 0:
        PaymentsFacade().record_payment(
            RecordPayment(
                order_id=order_id,
                amount=due.amount,
                method=Method.CASH,
                account=Account.DEPOSIT,
                actor=STAFF,
            )
        )
    db.session.rollback()
