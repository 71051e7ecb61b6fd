"""Use cases of customer identity: commands (write side) and queries (read side)."""
