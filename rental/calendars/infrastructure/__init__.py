"""Calendars' table: `calendar_feeds` (staff feeds: name, scope, the token's hash, revoked)."""
