"""The pure rules of Calendars: what an order's events are and how they are written as
iCalendar (RFC 5545) text."""
