"""The published language: the integration events each module publishes through the outbox,
one file per publisher (`rental.contracts.booking` holds Booking's events, …).

They live here, not inside the publishing module, so a module can consume another's events
without importing that module (which would make the module graph circular: Booking calls
Inventory's facade, Inventory reacts to Booking's events). A contract imports nothing but
`rental.shared`; the publisher re-exports its own events from its package too. Changing one is
changing a promise: add fields with defaults and bump `version`, never rename or drop."""
