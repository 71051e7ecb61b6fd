"""Command-line entry points: `flask --app wsgi seed-demo`, `flask --app wsgi outbox ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, select

from rental.extensions import db
from rental.shared.outbox import OutboxProcessor
from rental.shared.seeding import seeders

outbox_cli = AppGroup("outbox", help="Run the outbox worker and inspect dead messages.")


# Plumbing, not data: the outbox, and the reference-cache token a migration writes (0032).
_NOT_DATA = ("outbox_", "cache_generations")


def database_is_empty() -> bool:
    """True when no module has any data yet (the demo is loaded only then)."""
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        if table.name.startswith(_NOT_DATA) or not inspector.has_table(table.name):
            continue
        if db.session.execute(select(table).limit(1)).first() is not None:
            return False
    return True


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the database holds no data.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo data set (idempotent: running it twice changes nothing)."""
    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo not loaded.")
        return
    for name, seeder in seeders():
        seeder()
        click.echo(f"seeded {name}")
    click.echo("Demo data ready.")


@outbox_cli.command("worker")
def outbox_worker() -> None:
    """Drain the outbox every OUTBOX_POLL_SECONDS and run the periodic jobs (Ctrl-C stops)."""
    from rental.worker import run_worker

    run_worker(current_app._get_current_object())  # type: ignore[attr-defined]


@outbox_cli.command("drain")
def outbox_drain() -> None:
    """Deliver everything that is due now, once, and exit."""
    processor: OutboxProcessor = current_app.extensions["outbox"]
    total = 0
    while result := processor.drain_once():
        if not result.claimed:
            break
        total += result.processed
    click.echo(f"Delivered {total} message(s).")
    if unknown := processor.report_unknown():
        click.echo(
            f"Left {sum(unknown.values())} message(s) of event types this worker does not "
            f"know: {', '.join(sorted(unknown))}."
        )


@outbox_cli.command("dead")
def outbox_dead() -> None:
    """List dead-lettered messages with their last error."""
    processor: OutboxProcessor = current_app.extensions["outbox"]
    rows = processor.dead_messages(limit=1000)
    if not rows:
        click.echo("No dead messages.")
        return
    for row in rows:
        error = (row.last_error or "").splitlines()[0] if row.last_error else ""
        dead_at = f"{row.dead_at:%Y-%m-%d %H:%M:%S}"
        click.echo(
            f"{row.id}\t{row.event_type}\tattempts={row.attempts}\tdead_at={dead_at}\t{error}"
        )


@outbox_cli.command("requeue")
@click.argument("message_id", type=int, required=False)
@click.option("--all", "all_", is_flag=True, help="Requeue every dead message.")
def outbox_requeue(message_id: int | None, all_: bool) -> None:
    """Requeue one dead message (by id) or all of them (--all)."""
    if message_id is None and not all_:
        raise click.UsageError("Give a message id or --all.")
    processor: OutboxProcessor = current_app.extensions["outbox"]
    count = processor.requeue(None if all_ else message_id)
    click.echo(f"Requeued {count} message(s).")


@outbox_cli.command("stats")
def outbox_stats() -> None:
    """Counts of pending, retrying and dead messages, and of those delivered in the last 24 h."""
    stats = current_app.extensions["outbox"].stats()
    oldest = f"{stats.oldest_pending_at:%Y-%m-%d %H:%M:%S}" if stats.oldest_pending_at else "-"
    click.echo(
        f"pending={stats.pending} retrying={stats.retrying} dead={stats.dead} "
        f"processed_last_24h={stats.processed_last_day} oldest_pending_at={oldest}"
    )
    for event_type, count in stats.unknown.items():
        click.echo(f"unknown_type={event_type} count={count}")


@outbox_cli.command("purge")
def outbox_purge() -> None:
    """Delete processed messages older than OUTBOX_RETENTION_DAYS now (the worker does this
    every 10 minutes, a bounded number of rows per run)."""
    processor: OutboxProcessor = current_app.extensions["outbox"]
    total = 0
    while purged := processor.purge_processed():
        total += purged
    click.echo(f"Purged {total} processed message(s).")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(outbox_cli)
