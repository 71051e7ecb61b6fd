"""Payments use cases: commands, queries, event handlers."""
