"""A plugin standing in for a newer release: it knows `ProbeFutureEvent`, which the test process
and workers without this plugin do not. Load it with
RENTAL_PLUGINS=tests.support.probe,tests.support.probe_future (never import it in-process)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import insert

from rental.shared.db import db
from rental.shared.events import Event, Message, register_event, subscribe
from tests.support.probe import probe_deliveries

HANDLER = "probe.future"


@register_event
@dataclass(frozen=True, kw_only=True)
class ProbeFutureEvent(Event):
    n: int


def _handle(message: Message) -> None:
    db.session.execute(
        insert(probe_deliveries).values(
            message_id=message.id, handler=HANDLER, n=message.payload["n"], pid=os.getpid()
        )
    )


def init_app(app: Flask) -> None:
    subscribe(ProbeFutureEvent.event_type, HANDLER)(_handle)
