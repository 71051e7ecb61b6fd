"""Calendars: an order's pick-up and return as iCalendar (RFC 5545, the `icalendar` library)
— downloaded from the customer's manage page (/r/<reference>/<token>/calendar.ics) and
attached to the order-confirmed e-mail, one rendering for both; and staff feeds by secret,
revocable URL (/calendar/<token>.ics, made at /admin/calendar-feeds) of the upcoming pick-ups
and returns, all or one equipment type's, with customers' names only.

Where it sits: below Storefront and Notifications (Notifications attaches the file), above
Booking. It composes the calendar when asked from what is true then: the order through
BookingFacade (which also checks the manage link's reference and token), the items' names
through CatalogFacade, the shop's name and address through ShopFacade; times in the shop's
time zone (BUSINESS_TIMEZONE) with its VTIMEZONE.

A feed's token is the only key (calendar apps cannot sign in): only its SHA-256 is kept, the
URL is shown once, and a revoked or unknown token is a 404.

Other modules import only from here: `CalendarsFacade`, `ICS_MIMETYPE`.

Layout (the shape every module has, docs/architecture.md):
    facade.py                       CalendarsFacade: an order's .ics for an e-mail; the
                                    feeds (create, list, revoke, their calendar)
    module.py                       init_app: the .ics route, the feeds' pages, the menu
    domain/ics.py                   OrderCalendar, the events (stable UIDs, STATUS), written
                                    with icalendar; add_missing_timezones for the VTIMEZONE
    domain/feeds.py                 CalendarFeed, tokens and their hash, the window (7 days
                                    back, 90 ahead), the new feed form's rules
    application/order_calendar.py   the order's calendar from Booking, Catalog and Shop
    application/feeds.py            create/list/revoke; a feed's events (Booking's list,
                                    Customers' names)
    infrastructure/entities.py      calendar_feeds (migration 0027)
    infrastructure/feeds.py         its rows
    web/order.py                    /r/<reference>/<token>/calendar.ics behind the manage
                                    link's reference and token (404 otherwise)
    web/feeds.py                    /admin/calendar-feeds; /calendar/<token>.ics
"""

from rental.calendars.facade import ICS_MIMETYPE, CalendarsFacade

__all__ = ["ICS_MIMETYPE", "CalendarsFacade"]
