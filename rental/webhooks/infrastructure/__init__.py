"""Webhooks' tables (webhook_endpoints, webhook_deliveries; migration 0029) and the
SSRF-safe HTTP sender."""
