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

Layout:
    module.py      init_app: Flask-Mailman, the subscriptions, the jobs, /bookings/find,
                   /admin/mail, the menu
    handlers.py    the event-driven notifications: order confirmed, changed (period,
                   quantity, type, a line added), cancelled, overdue notice, the links to a
                   customer's open orders; staff: new online order, overdue return
    links.py       /bookings/find: the public "Find my booking" page, its rate limits; records
                   BookingLinksRequested (rental.contracts.notifications) for a known address
    schedule.py    the jobs: pick-up reminder (N hours before), return due today (07:00)
    settings.py    notifications_settings: reminders on/off and N, "return due" on/off
    receipts.py    the payment receipt (Payments' PaymentReceived), the invoice PDF attached
    loyalty.py     "You are now a Silver/Gold member" (CRM's LoyaltyTierChanged): marketing
    consent.py     may_send: transactional always, marketing only with CRM's opt-in
    customer_mail.py  the staff customer page's "E-mails" section
    mailer.py      delivery: SMTP or .eml files (MAIL_SERVER unset), MailNotSent
    messages.py    notifications_messages: what was sent or failed, keyed once per order
    web.py         /admin/mail, one e-mail, its HTML (strict CSP, sandboxed iframe);
                   /admin/mail/settings (staff read, administrators change)
"""

from rental.notifications.handlers import (
    BOOKING_LINKS,
    ORDER_CANCELLED,
    ORDER_CHANGED,
    ORDER_CONFIRMED,
    OVERDUE_NOTICE,
    STAFF_NEW_ORDER,
    STAFF_OVERDUE,
)
from rental.notifications.mailer import MailNotSent
from rental.notifications.messages import FAILED, SENT, MailMessageEntity, for_order, recent

__all__ = [
    "BOOKING_LINKS",
    "FAILED",
    "ORDER_CANCELLED",
    "ORDER_CHANGED",
    "ORDER_CONFIRMED",
    "OVERDUE_NOTICE",
    "SENT",
    "STAFF_NEW_ORDER",
    "STAFF_OVERDUE",
    "MailMessageEntity",
    "MailNotSent",
    "for_order",
    "recent",
]
