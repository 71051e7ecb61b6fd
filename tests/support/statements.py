"""Count the SQL statements the app sends (SQLAlchemy's before_cursor_execute), for tests
that hold a page or a request to a budget of round trips.

Transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT, ROLLBACK) is not counted: the driver
or the database issues it around the work, and it carries no query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from rental.extensions import db
from rental.shared.reference_cache import forget_everything

_CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE|COMMIT|ROLLBACK)\b", re.IGNORECASE)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements sent while the block runs, each on one line."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if not _CONTROL.match(statement):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def reading(seen: list[str], table: str) -> list[str]:
    """The statements among `seen` that read `table` (as a FROM, also inside a WITH)."""
    return [s for s in seen if s.startswith(("SELECT", "WITH")) and f"FROM {table}" in s]


def explain(seen: list[str]) -> str:
    """The statements numbered, shortened: an assertion message that shows what was sent."""
    return "\n".join(f"{i}. {s[:160]}" for i, s in enumerate(seen, 1))


def token_reads(seen: list[str]) -> list[str]:
    """The reads of the reference-data token (rental.shared.reference_cache): one per request
    that reads reference data at all."""
    return reading(seen, "cache_generations")


def uncached(seen: list[str]) -> list[str]:
    """`seen` without the token read: what a request costs when the process has not kept
    the reference data it needs (the first request after a write)."""
    tokens = token_reads(seen)
    return [s for s in seen if s not in tokens]


@contextmanager
def cold_statements() -> Iterator[list[str]]:
    """`statements()` for requests that find nothing kept in the process's reference cache
    (as the first one after a change does), without the token read."""
    forget_everything()
    with statements() as seen:
        yield seen
    seen[:] = uncached(seen)
