"""Use cases of staff accounts: commands (write side) and queries (read side)."""
