"""Persistence and password hashing for staff accounts."""
