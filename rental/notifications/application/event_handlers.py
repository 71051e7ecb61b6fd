"""Every subscriber of the Notifications module: Booking's, Inventory's, Payments' and CRM's
events, Webhooks' news that an endpoint was switched off, the "find my booking" requests
(BookingLinksRequested), and Customers' news that a
customer was anonymised (their sent-mail log keeps no content) or deleted (it goes). Each runs
its sender in the worker's transaction with its inbox row, so a redelivered event sends
nothing twice. The subscription names key the inbox rows: never rename one."""

from __future__ import annotations

from rental.booking import ReservationCancelled, ReservationChanged, ReservationConfirmed
from rental.contracts.inventory import ReturnOverdue
from rental.contracts.notifications import BookingLinksRequested
from rental.contracts.webhooks import WebhookEndpointDisabled
from rental.crm import LoyaltyTierChanged
from rental.customers import CustomerAnonymised, CustomerDeleted
from rental.notifications.application.loyalty import send_tier_up
from rental.notifications.application.receipts import send_payment_receipt
from rental.notifications.application.senders import (
    send_booking_links,
    send_cancelled,
    send_line_added,
    send_order_changed,
    send_order_confirmed,
    send_overdue_notice,
    send_staff_new_order,
    send_staff_overdue,
)
from rental.notifications.application.webhook_alerts import send_staff_webhook_disabled
from rental.notifications.infrastructure.messages import delete_for_customer, forget_customer
from rental.payments import PaymentReceived
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_all() -> None:
    @subscribe(CustomerAnonymised, name="notifications.forget_anonymised")
    def anonymised(event: CustomerAnonymised) -> None:
        """The sent-mail log of the customer keeps that mails went out, not what they said."""
        with unit_of_work():
            forget_customer(event.customer_id)

    @subscribe(CustomerDeleted, name="notifications.forget_deleted")
    def deleted(event: CustomerDeleted) -> None:
        with unit_of_work():
            delete_for_customer(event.customer_id)

    @subscribe(ReservationConfirmed, name="notifications.order_confirmed")
    def order_confirmed(event: ReservationConfirmed) -> None:
        with unit_of_work():
            send_order_confirmed(event.order)

    @subscribe(ReservationConfirmed, name="notifications.staff_new_order")
    def staff_new_order(event: ReservationConfirmed) -> None:
        with unit_of_work():
            send_staff_new_order(event.order)

    @subscribe(ReservationCancelled, name="notifications.order_cancelled")
    def order_cancelled(event: ReservationCancelled) -> None:
        with unit_of_work():
            send_cancelled(event)

    @subscribe(ReservationChanged, name="notifications.order_changed")
    def order_changed(event: ReservationChanged) -> None:
        with unit_of_work():
            send_order_changed(event)

    @subscribe(ReservationConfirmed, name="notifications.line_added")
    def line_added(event: ReservationConfirmed) -> None:
        with unit_of_work():
            send_line_added(event)

    @subscribe(ReturnOverdue, name="notifications.overdue_notice")
    def overdue_notice(event: ReturnOverdue) -> None:
        with unit_of_work():
            send_overdue_notice(event)

    @subscribe(ReturnOverdue, name="notifications.staff_overdue")
    def staff_overdue(event: ReturnOverdue) -> None:
        with unit_of_work():
            send_staff_overdue(event)

    @subscribe(BookingLinksRequested, name="notifications.booking_links")
    def booking_links(event: BookingLinksRequested) -> None:
        with unit_of_work():
            send_booking_links(event)

    @subscribe(PaymentReceived, name="notifications.payment_receipt")
    def payment_receipt(event: PaymentReceived) -> None:
        with unit_of_work():
            send_payment_receipt(event)

    @subscribe(LoyaltyTierChanged, name="notifications.loyalty_tier_up")
    def tier_up(event: LoyaltyTierChanged) -> None:
        with unit_of_work():
            send_tier_up(event)

    @subscribe(WebhookEndpointDisabled, name="notifications.staff_webhook_disabled")
    def webhook_disabled(event: WebhookEndpointDisabled) -> None:
        with unit_of_work():
            send_staff_webhook_disabled(event)
