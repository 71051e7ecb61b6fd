"""The API's pure rules: token scopes and secrets, problem types, idempotency fingerprints."""
