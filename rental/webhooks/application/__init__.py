"""Webhooks' use cases: endpoint commands, the outbox subscribers, the delivery dispatcher."""
