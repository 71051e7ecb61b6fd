"""Reference data remembered across requests in each web process, safely.

Most pages read the same slow-changing rows: the shop's settings (every footer), rate cards,
the catalog's types and categories, the fleet's size. Staff change them a few times a day,
visitors read them hundreds of times a second. A facade marks such a read
`cached(..., across_requests=True)` (rental.shared.request_cache) and this module keeps its
answer in the process for the next requests.

Correctness does not depend on timing. The `cache_generations` row 'reference' holds a random
token, and every transaction that writes a table registered here with `reference_tables()`
replaces the token *in the same transaction* (session events: a flush that touches such a
table, or a bulk UPDATE/DELETE/INSERT on one). A request reads the token once, before it reads
any cached row, and uses only answers stored under that token:
- another node's or process's commit is seen at the next request, because its new token
  commits with the data;
- an answer loaded while a write committed is stored under the token read before it, which
  the next request no longer matches: at worst reloaded once, never served stale;
- a request that writes a reference table itself stops using the process store for the rest
  of the request (its own token is gone);
- a token, not a counter: after the tests empty every table the row starts again without
  ever repeating an old value;
- no row at all (just emptied): nothing is shared until a write inserts it again.

The web process only: the worker and the CLI load every time (they run few reads and long
enough to miss other processes' changes). Writes made outside the ORM session (a migration's
data step, raw SQL) do not change the token; restart the web processes after them, which a
deploy does anyway.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from flask import has_request_context, request
from sqlalchemy import String, bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from rental.shared.db import Base, db, read_plain_scalar

T = TypeVar("T")

_NAME = "reference"
_ENVIRON_TOKEN = "rentkit.reference_token"
REQUEST_STORE_KEY = "rentkit.request_cache"  # rental.shared.request_cache's store
_BYPASS = object()  # this request wrote reference data: no process store for it
_MISSING = object()
MAX_ENTRIES = 4096  # per process; catalog searches can ask for any number of keys


class CacheGeneration(Base):
    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_tables: set[str] = set()


def reference_tables(*entities: type) -> None:
    """Declare the tables behind the reads a module caches across requests: every write to
    them replaces the token."""
    _tables.update(entity.__table__.name for entity in entities)  # type: ignore[attr-defined]


# --- writing: a new token in the writing transaction -------------------------------------------


def _new_token(session: Session) -> None:
    values = {"name": _NAME, "token": uuid.uuid4().hex}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CacheGeneration).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[CacheGeneration.name], set_={"token": values["token"]}
    )
    session.connection().execute(statement)
    if has_request_context():
        # The rest of this request reads afresh, whatever it remembered so far.
        request.environ[_ENVIRON_TOKEN] = _BYPASS
        request.environ.pop(REQUEST_STORE_KEY, None)


def _touches_reference(objects: Any) -> bool:
    return any(getattr(type(obj), "__tablename__", None) in _tables for obj in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    # Every flush that touches one, not once per transaction: a savepoint rolled back would
    # take an earlier new token with it.
    if _tables and _touches_reference([*session.new, *session.dirty, *session.deleted]):
        _new_token(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _tables:
        _new_token(state.session)


# --- reading -------------------------------------------------------------------------------------


class _Store:
    """(namespace, key) -> (token, answer), least recently used dropped past `max_entries`.
    A lock because gunicorn's threaded workers would share it."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, Hashable], tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, namespace: str, key: Hashable, token: str) -> Any:
        with self._lock:
            entry = self._entries.get((namespace, key))
            if entry is None or entry[0] != token:
                return _MISSING
            self._entries.move_to_end((namespace, key))
            return entry[1]

    def put(self, namespace: str, key: Hashable, token: str, value: Any) -> None:
        with self._lock:
            self._entries[(namespace, key)] = (token, value)
            self._entries.move_to_end((namespace, key))
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_store = _Store()
_own_stores: dict[str, _Store] = {}  # namespaces with a bound of their own


def bound(namespace: str, max_entries: int) -> None:
    """Keep `namespace` apart, at most `max_entries` of it (large answers: whole pages)."""
    _own_stores[namespace] = _Store(max_entries)


def _token(alone: bool = False) -> str | None:
    """The token this request reads under (read once per request); None: do not share."""
    token = request.environ.get(_ENVIRON_TOKEN, _MISSING)
    if token is _MISSING:
        token = _read_token(alone)
        request.environ[_ENVIRON_TOKEN] = token
    return None if token is _BYPASS else token


def _read_token(alone: bool) -> str | None:
    """Through the request's session, or, when the caller expects the request to read nothing
    else (`alone`: a kept page) and it has no transaction yet, on a connection of its own past
    the ORM (`read_plain_scalar`): there the session cost more than the read. A request that
    goes on reading (the availability answer) keeps to its one connection. Read before any
    cached answer is used either way, which is all correctness asks of it."""
    if alone and not (db.session.registry.has() and db.session().in_transaction()):
        return read_plain_scalar(db.engine, _READ_TOKEN, {"name": _NAME})
    return db.session().connection().execute(_READ_TOKEN, {"name": _NAME}).scalar()


# Core, not ORM, and built once: this runs on every request that reads reference data.
_TABLE = CacheGeneration.__table__
_READ_TOKEN = select(_TABLE.c.token).where(_TABLE.c.name == bindparam("name"))


def load_shared(namespace: str, key: Hashable, load: Callable[[], T], *, alone: bool = False) -> T:
    """`load()`'s answer from this process's store when it was stored under the token this
    request reads, else loaded and stored. Outside a web request: just `load()`. `alone`: when
    found, the request reads nothing else (see `_read_token`)."""
    return load_many_shared(namespace, [key], lambda _keys: {key: load()}, alone=alone)[key]


def load_many_shared(
    namespace: str,
    keys: list[Hashable],
    load: Callable[[list[Hashable]], Mapping[Any, Any]],
    *,
    alone: bool = False,
) -> dict[Any, Any]:
    """`load_shared` for several keys: one `load(missing)` for those not stored under the
    token (a key it leaves out is stored as None)."""
    token = _token(alone) if has_request_context() else None
    if token is None:
        loaded = load(keys)
        return {key: loaded.get(key) for key in keys}
    store = _own_stores.get(namespace, _store)
    found = {key: store.get(namespace, key, token) for key in keys}
    if missing := [key for key, value in found.items() if value is _MISSING]:
        loaded = load(missing)
        keep = request.environ.get(_ENVIRON_TOKEN) == token  # not written since it was read
        for key in missing:
            found[key] = loaded.get(key)
            if keep:
                store.put(namespace, key, token, found[key])
    return found


def forget_everything() -> None:
    """Drop every stored answer of this process (tests that change tables behind the ORM)."""
    for store in (_store, *_own_stores.values()):
        store.clear()
