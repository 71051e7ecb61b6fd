"""/admin/webhooks: endpoints and their deliveries."""
