"""Commands and queries for staff accounts."""
