"""Notifications: the e-mails the shop sends — to customers about their bookings and payments,
and alerts to the shop — each an outbox handler of Booking's, Inventory's, Payments' or CRM's
events or a periodic worker job, sent through Flask-Mailman and recorded
(notifications_messages, listed at /admin/mail). "Find my booking" (/bookings/find) lets a
customer who lost their manage link have the links to their open orders sent again.

Where it sits: above Booking (beside Storefront). A mail is composed when the worker sends
it, from what is true then: the order through BookingFacade.get_order, the customer's
address through CustomerFacade (an anonymised customer gets no mail), the shop's name,
address and hours through ShopFacade. Booking's events stay small (no customer data in the
outbox), and Booking knows nothing of e-mail. The manage link is a signed, expiring token
from BookingFacade.signed_manage_token (Booking keeps only a hash of the raw token).

Other modules import only from here: `NotificationsFacade`, the DTOs it returns, the
templates' names and the statuses of a sent mail.

Layout (the shape every module has, docs/architecture.md):
    facade.py                     NotificationsFacade: the sent-mail log, the settings, the
                                  "Find my booking" request; one unit_of_work per command
    module.py                     init_app: Flask-Mailman, the subscriptions, the jobs,
                                  /bookings/find, /admin/mail, the menu, the sections
    domain/notification.py        the templates (ORDER_CONFIRMED …), SENT / FAILED, Outgoing,
                                  Attachment
    domain/consent.py             may_send: transactional always, marketing only with opt-in
    domain/settings.py            NotificationSettings, its limits, parse_settings
    domain/reminders.py           which pick-up is reminded now; the jobs' keys
    application/senders.py        the event-driven notifications: order confirmed, changed
                                  (period, quantity, type, a line added), cancelled, overdue
                                  notice, the links to a customer's open orders; staff: new
                                  online order, overdue return; compose_and_send, mail_customer
    application/receipts.py       the payment receipt (Payments' PaymentReceived), the
                                  invoice PDF attached
    application/loyalty.py        "You are now a Silver/Gold member" (CRM's
                                  LoyaltyTierChanged): marketing
    application/jobs.py           the jobs: pick-up reminder (N hours before), return due
                                  today (07:00)
    application/event_handlers.py every subscription (Booking, Inventory, Payments, CRM,
                                  Customers' anonymised/deleted, BookingLinksRequested)
    application/commands.py       RequestBookingLinks: records BookingLinksRequested
                                  (rental.contracts.notifications) for a known address
    application/queries.py        MailQueries + SentMail
    infrastructure/entities.py    notifications_messages, notifications_settings
    infrastructure/messages.py    the sent-mail log: keyed once per notification, claim,
                                  record_failed, forget/delete a customer's mail
    infrastructure/settings.py    the settings row
    infrastructure/mailer.py      delivery: SMTP or .eml files (MAIL_SERVER unset), MailNotSent
    web/admin.py                  /admin/mail, one e-mail, its HTML (strict CSP, sandboxed
                                  iframe); /admin/mail/settings (staff read, administrators
                                  change); the order's and the customer's "E-mails" sections
    web/find_booking.py           /bookings/find: the public "Find my booking" page, its rate
                                  limits
"""

from rental.notifications.application.queries import SentMail
from rental.notifications.domain.notification import (
    BOOKING_LINKS,
    FAILED,
    LOYALTY_TIER_UP,
    ORDER_CANCELLED,
    ORDER_CHANGED,
    ORDER_CONFIRMED,
    OVERDUE_NOTICE,
    PAYMENT_RECEIPT,
    PICKUP_REMINDER,
    RETURN_DUE,
    SENT,
    STAFF_NEW_ORDER,
    STAFF_OVERDUE,
)
from rental.notifications.domain.settings import NotificationSettings
from rental.notifications.facade import NotificationsFacade
from rental.notifications.infrastructure.mailer import MailNotSent

__all__ = [
    "BOOKING_LINKS",
    "FAILED",
    "LOYALTY_TIER_UP",
    "ORDER_CANCELLED",
    "ORDER_CHANGED",
    "ORDER_CONFIRMED",
    "OVERDUE_NOTICE",
    "PAYMENT_RECEIPT",
    "PICKUP_REMINDER",
    "RETURN_DUE",
    "SENT",
    "STAFF_NEW_ORDER",
    "STAFF_OVERDUE",
    "MailNotSent",
    "NotificationSettings",
    "NotificationsFacade",
    "SentMail",
]
