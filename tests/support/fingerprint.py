"""A cheap fingerprint of every table (row count and a hash of the rows), to prove that a
refused request changed nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import inspect, select, table, text


def database_fingerprint(engine, skip: frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of the sorted rows)} for every table in the database."""
    result: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        for name in names:
            if name in skip:
                continue
            rows = conn.execute(select(text("*")).select_from(table(name))).all()
            digest = hashlib.sha256()
            for line in sorted(repr(tuple(row)) for row in rows):
                digest.update(line.encode("utf-8", "surrogatepass"))
            result[name] = (len(rows), digest.hexdigest())
    return result


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
