"""Calendars' use cases: an order's calendar from what Booking, Catalog and Shop say now."""
