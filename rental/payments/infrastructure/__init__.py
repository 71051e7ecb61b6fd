"""Payments persistence: entities and repositories."""
