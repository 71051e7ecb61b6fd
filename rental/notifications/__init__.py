"""Notifications: the e-mails the shop sends — to customers about their bookings, and alerts
to the shop — each an outbox handler of Booking's events, sent through Flask-Mailman and
recorded (notifications_messages, listed at /admin/mail). "Find my booking" (/bookings/find)
lets a customer who lost their manage link have the links to their open orders sent again.

Where it sits: above Booking (beside Storefront). A mail is composed when the worker sends
it, from what is true then: the order through BookingFacade.get_order, the customer's
address through CustomerFacade (an anonymised customer gets no mail), the shop's name,
address and hours through ShopFacade. Booking's events stay small (no customer data in the
outbox), and Booking knows nothing of e-mail. The manage link is a signed, expiring token
from BookingFacade.signed_manage_token (Booking keeps only a hash of the raw token).

Layout:
    module.py      init_app: Flask-Mailman, the subscriptions, /bookings/find, /admin/mail,
                   the admin menu
    handlers.py    the notifications (order confirmed, cancelled, staff: new online order,
                   the links to a customer's open orders)
    links.py       /bookings/find: the public "Find my booking" page, its rate limits; records
                   BookingLinksRequested (rental.contracts.notifications) for a known address
    mailer.py      delivery: SMTP or .eml files (MAIL_SERVER unset), MailNotSent
    messages.py    notifications_messages: what was sent or failed, keyed once per order
    web.py         /admin/mail, one e-mail, its HTML (strict CSP, sandboxed iframe)
"""

from rental.notifications.handlers import (
    BOOKING_LINKS,
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    STAFF_NEW_ORDER,
)
from rental.notifications.mailer import MailNotSent
from rental.notifications.messages import FAILED, SENT, MailMessageEntity, for_order, recent

__all__ = [
    "BOOKING_LINKS",
    "FAILED",
    "ORDER_CANCELLED",
    "ORDER_CONFIRMED",
    "SENT",
    "STAFF_NEW_ORDER",
    "MailMessageEntity",
    "MailNotSent",
    "for_order",
    "recent",
]
