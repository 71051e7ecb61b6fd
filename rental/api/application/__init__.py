"""Use cases of the API module: tokens (create, list, revoke, authenticate) and idempotency."""
