"""Calendars keeps no tables yet: an order's calendar is composed from other modules' facades."""
