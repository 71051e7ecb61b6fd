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
