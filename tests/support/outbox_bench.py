"""A plugin (RENTAL_PLUGINS) for benchmarks/outbox_throughput.py, test-only: `BenchNoop`, whose
one subscriber does nothing (what the outbox itself costs), and `BenchPing`, whose subscriber
writes the time it started into `bench_pings` in its transaction (commit → handler start)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import BigInteger, Column, Float, MetaData, Table, insert

from rental.shared.db import db
from rental.shared.events import Event, Message, register_event, subscribe

bench_metadata = MetaData()
bench_pings = Table(
    "bench_pings",
    bench_metadata,
    Column("message_id", BigInteger, primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("started_at", Float, nullable=False),  # time.time() when the handler started
)


@register_event
@dataclass(frozen=True, kw_only=True)
class BenchNoop(Event):
    n: int


@register_event
@dataclass(frozen=True, kw_only=True)
class BenchPing(Event):
    n: int


def _ping(message: Message) -> None:
    started = time.time()
    db.session.execute(
        insert(bench_pings).values(
            message_id=message.id, n=message.payload["n"], started_at=started
        )
    )


def init_app_handlers_only() -> None:
    subscribe(BenchNoop, "bench.noop")(lambda _event: None)
    subscribe(BenchPing.event_type, "bench.ping")(_ping)


def init_app(_app: Flask) -> None:
    init_app_handlers_only()
