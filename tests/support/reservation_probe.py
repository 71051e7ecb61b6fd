"""A plugin loaded through RENTAL_PLUGINS by the killed-worker test with Booking's real events
(tests/integration/booking/test_event_order.py).

It adds two subscribers to `ReservationConfirmed` and `ReservationCancelled`, after Inventory's
own, that write one row per delivery into `probe_deliveries` (no unique constraint, so a
message applied twice by one handler would show as two rows):

- `probe.reservation_seen` records the delivery;
- `probe.reservation_gate` records it too, and in a worker started with `PROBE_GATE_FILE` and
  `PROBE_GATE_RESERVATION` it first stops at the confirmation of that reservation: it creates
  `<file>.started` and waits until the test lets go of its lock on the file. By then Inventory's
  handler and `probe.reservation_seen` have committed for that message, so a SIGKILL lands in
  the middle of the message as well as of the batch."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import insert

from rental.shared.db import db
from rental.shared.events import Message, subscribe
from tests.support.probe import block_on, probe_deliveries

EVENT_TYPES = ("ReservationConfirmed", "ReservationCancelled")
SEEN, GATE = "probe.reservation_seen", "probe.reservation_gate"
HANDLERS = (SEEN, GATE)


def _record(name: str, message: Message) -> None:
    db.session.execute(
        insert(probe_deliveries).values(
            message_id=message.id,
            handler=name,
            n=int(message.payload.get("sequence") or 0),
            pid=os.getpid(),
        )
    )


def init_app(app: Flask) -> None:
    gate_file = os.environ.get("PROBE_GATE_FILE")
    gate_reservation = os.environ.get("PROBE_GATE_RESERVATION")

    def seen(message: Message) -> None:
        _record(SEEN, message)

    def gate(message: Message) -> None:
        stop_here = (
            gate_file
            and message.event_type == "ReservationConfirmed"
            and message.payload.get("reservation_id") == gate_reservation
        )
        if stop_here:
            block_on(gate_file)
        _record(GATE, message)

    for event_type in EVENT_TYPES:
        subscribe(event_type, SEEN)(seen)
        subscribe(event_type, GATE)(gate)
