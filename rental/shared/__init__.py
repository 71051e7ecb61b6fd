"""Shared kernel: value objects, errors, the outbox and web helpers every module uses.

It imports no feature module (checked by import-linter)."""
