"""Webhooks' pure rules: endpoints and their secrets, the public event types and payloads,
signing (Standard Webhooks), the retry schedule, and which addresses may be called."""
