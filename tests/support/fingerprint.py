"""A cheap fingerprint of every table (row count and a hash of the rows), to prove that a
refused request changed nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import inspect


def database_fingerprint(engine, skip: frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """{table: (rows, a hash of the sorted rows)} for every table in the database."""
    with engine.connect() as conn:
        names = [n for n in sorted(inspect(conn).get_table_names()) if n not in skip]
        if conn.dialect.name == "postgresql":
            return _hashed_by_the_server(conn, names)
        # SQLite: the driver's own cursor, in process (through SQLAlchemy each of the ~40
        # statements cost more than reading the table).
        cursor = conn.connection.driver_connection.cursor()
        result: dict[str, tuple[int, str]] = {}
        for name in names:
            rows = cursor.execute(f'SELECT * FROM "{name}"').fetchall()
            digest = hashlib.sha256()
            for line in sorted(repr(tuple(row)) for row in rows):
                digest.update(line.encode("utf-8", "surrogatepass"))
            result[name] = (len(rows), digest.hexdigest())
        cursor.close()
        return result


def _hashed_by_the_server(conn, names: list[str]) -> dict[str, tuple[int, str]]:
    """PostgreSQL: every table's count and md5 of its sorted rows (as text) in one statement —
    one round trip, not one per table with every row sent over (the route fuzz takes a
    fingerprint after every POST)."""
    if not names:
        return {}
    parts = [
        f"SELECT '{name}', count(*), "
        f"md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{name}\" AS t"
        for name in names
    ]
    rows = conn.exec_driver_sql(" UNION ALL ".join(parts)).all()
    return {name: (count, digest) for name, count, digest in rows}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
