"""CalendarsFacade: what other modules (Notifications) and Calendars' own pages ask of it —
one unit_of_work per command."""

from __future__ import annotations

from datetime import datetime

from rental.booking import BookingFacade
from rental.calendars.application import feeds
from rental.calendars.application.order_calendar import order_ics
from rental.calendars.domain.feeds import CalendarFeed, NewFeed

ICS_MIMETYPE = "text/calendar"


class CalendarsFacade:
    def order_ics(self, order_id: str, manage_url: str) -> bytes:
        """The order's pick-up and return as an .ics file (the one the manage page offers),
        its description linking to `manage_url`."""
        return order_ics(BookingFacade().get_order(order_id), manage_url)

    @staticmethod
    def ics_filename(reference: str) -> str:
        return f"{reference}.ics"

    def create_feed(self, feed: NewFeed, now: datetime, actor: str) -> str:
        """The feed's secret token, returned this once (only its hash is kept)."""
        return feeds.create_feed(feed, now, actor)

    def revoke_feed(self, feed_id: str, now: datetime) -> None:
        """NotFoundError for an unknown feed; its URL answers 404 from now on."""
        feeds.revoke_feed(feed_id, now)

    def list_feeds(self) -> list[CalendarFeed]:
        return feeds.list_feeds()

    def feed_ics(self, token: str, now: datetime) -> bytes:
        """NotFoundError for an unknown or revoked token."""
        return feeds.feed_ics(token, now)
