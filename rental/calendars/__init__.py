"""Calendars: an order's pick-up and return as iCalendar (RFC 5545, the `icalendar` library)
— downloaded from the customer's manage page (/r/<reference>/<token>/calendar.ics) and
attached to the order-confirmed e-mail, one rendering for both.

Where it sits: below Storefront and Notifications (Notifications attaches the file), above
Booking. It composes the calendar when asked from what is true then: the order through
BookingFacade (which also checks the manage link's reference and token), the items' names
through CatalogFacade, the shop's name and address through ShopFacade; times in the shop's
time zone (BUSINESS_TIMEZONE) with its VTIMEZONE.

Other modules import only from here: `CalendarsFacade`, `ICS_MIMETYPE`.

Layout (the shape every module has, docs/architecture.md):
    facade.py                       CalendarsFacade: an order's .ics for an e-mail
    module.py                       init_app: the .ics route
    domain/ics.py                   OrderCalendar, the events (stable UIDs, STATUS), written
                                    with icalendar; add_missing_timezones for the VTIMEZONE
    application/order_calendar.py   the order's calendar from Booking, Catalog and Shop
    infrastructure/                 (no tables yet)
    web/order.py                    /r/<reference>/<token>/calendar.ics behind the manage
                                    link's reference and token (404 otherwise)
"""

from rental.calendars.facade import ICS_MIMETYPE, CalendarsFacade

__all__ = ["ICS_MIMETYPE", "CalendarsFacade"]
