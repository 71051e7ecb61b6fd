"""CalendarsFacade: what other modules (Notifications) ask of Calendars."""

from __future__ import annotations

from rental.booking import BookingFacade
from rental.calendars.application.order_calendar import order_ics

ICS_MIMETYPE = "text/calendar"


class CalendarsFacade:
    def order_ics(self, order_id: str, manage_url: str) -> bytes:
        """The order's pick-up and return as an .ics file (the one the manage page offers),
        its description linking to `manage_url`."""
        return order_ics(BookingFacade().get_order(order_id), manage_url)

    @staticmethod
    def ics_filename(reference: str) -> str:
        return f"{reference}.ics"
