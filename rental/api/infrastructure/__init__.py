"""The API's tables: api_tokens and api_idempotency_keys (migration 0028)."""
