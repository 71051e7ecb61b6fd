"""A probe plugin loaded through RENTAL_PLUGINS by the outbox and browser tests.

It registers a `ProbeEvent` and two subscribers that write one row per delivery into
`probe_deliveries` (no unique constraint, so a double delivery would show as two rows),
a small CSRF-protected htmx endpoint, an endpoint that keeps a request in flight until the
test lets it go, and (on PostgreSQL) the request gate the end-to-end wipe waits on
(tests/support/request_gate.py)."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass

from flask import Blueprint, Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.events import Event, Message, register_event, subscribe
from tests.support import request_gate

probe_metadata = MetaData()
probe_deliveries = Table(
    "probe_deliveries",
    probe_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Integer, nullable=False),
    Column("handler", String(50), nullable=False),
    Column("n", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
)

HANDLERS = ("probe.first", "probe.second")


@register_event
@dataclass(frozen=True, kw_only=True)
class ProbeEvent(Event):
    n: int
    fail_handler: str | None = None
    # A file the test holds an exclusive lock on: the handler announces it has started (by
    # creating `<block_file>.started`) and then waits until the test lets the lock go.
    block_file: str | None = None


def block_on(path: str) -> None:
    with open(f"{path}.started", "a") as started:
        started.write(f"{os.getpid()}\n")
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)  # waits for the test's LOCK_EX to go
        fcntl.flock(lock, fcntl.LOCK_UN)


def _handle(name: str, message: Message) -> None:
    payload = message.payload
    if payload.get("block_file"):
        block_on(payload["block_file"])
    db.session.execute(
        insert(probe_deliveries).values(
            message_id=message.id, handler=name, n=payload["n"], pid=os.getpid()
        )
    )
    if payload.get("fail_handler") == name:
        raise RuntimeError(f"probe handler {name} told to fail on n={payload['n']}")


def create_probe_table(engine) -> None:
    probe_metadata.create_all(engine)


bp = Blueprint("probe", __name__)


@bp.post("/_probe/echo")
def echo() -> str:
    return f'<p id="echo-result">You said: {request.form.get("word", "")}</p>'.replace(
        "<script", ""
    )


@bp.get("/_probe/fail/<kind>")
def fail(kind: str) -> str:
    errors = {
        "validation": ValidationError("The end must be after the start.", field="end"),
        "notfound": NotFoundError("No equipment type 'xyz'."),
        "conflict": ConflictError("Only 2 left for that period."),
    }
    if kind in errors:
        raise errors[kind]
    raise RuntimeError("secret internal detail")


@bp.get("/_probe/hold")
def hold() -> str:
    """Write a probe row (n=`n`) in a transaction that stays open, holding its locks, until
    the test lets go of `gate` (see `block_on`): a request still in flight when a test ends.
    A GET, so a plain HTTP call can drive it; only tests ever load this plugin."""
    n = request.args.get("n", default=0, type=int)
    with unit_of_work() as session:
        session.execute(
            insert(probe_deliveries).values(message_id=0, handler="request", n=n, pid=os.getpid())
        )
        if gate := request.args.get("gate"):
            block_on(gate)
    return f"held {n}"


def init_app_handlers_only() -> None:
    for name in HANDLERS:
        subscribe(ProbeEvent.event_type, name)(lambda message, _n=name: _handle(_n, message))


def init_app(app: Flask) -> None:
    init_app_handlers_only()
    app.register_blueprint(bp)
    request_gate.init_app(app)
