"""Counter stores behind the rate limits (rental.shared.throttle): one counter per key with a
fixed window, shared by every web worker.

- DatabaseStore (the default): a row per key in `throttle_counters`, changed by one atomic
  statement per operation (INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING; a conditional
  UPDATE), each in its own short transaction apart from the request's session — so a counter
  counts even when the request's own work rolls back, and concurrent workers never lose an
  update. A request checked against several limits costs one statement for all of them.
- RedisStore (RATELIMIT_STORAGE_URI=redis://…): the same operations as Lua scripts, which
  Redis runs atomically.
- MemoryStore (RATELIMIT_STORAGE_URI=memory://): per process — for tests and development only;
  with several gunicorn workers every worker would count on its own.

Times are epoch milliseconds from the caller's clock (injectable in tests), never the store's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import BigInteger, Index, Integer, String, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, independent_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Counter:
    hits: int
    window_ends_ms: int  # the counter starts afresh at this instant
    last_hit_ms: int  # the latest counted hit (a refund does not move it)


@dataclass(frozen=True, slots=True)
class Take:
    """One hit to count on `key` if its running window has room for it (fewer than `limit`
    hits so far); a new window of `window_ms` when none is running."""

    key: str
    window_ms: int
    limit: int


NO_LIMIT = 2**31 - 1  # an INTEGER column's largest value: a hit that is always counted


class CounterStore(Protocol):
    def take(self, takes: Sequence[Take], now_ms: int) -> dict[str, Counter]:
        """Count one hit on each key that has room, atomically per key; the counters of the
        keys counted (a key at its limit is left untouched and missing from the answer)."""

    def incr(self, key: str, window_ms: int, now_ms: int) -> Counter:
        """Count one hit: a new window when none is running, else one more in the window."""

    def decr(self, key: str, now_ms: int) -> None:
        """Take back one hit of the running window (never below zero; nothing when expired)."""

    def get(self, key: str, now_ms: int) -> Counter | None:
        """The running window of `key`, or None."""

    def clear(self, key: str) -> None: ...

    def clear_prefix(self, prefix: str) -> None: ...

    def purge(self, now_ms: int) -> int:
        """Drop expired counters; the number dropped (where the store does not expire them)."""

    def reset(self) -> None:
        """Forget every counter (tests)."""


# --- the database ---------------------------------------------------------------------------


class ThrottleCounterEntity(Base):
    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    window_ends_ms: Mapped[int] = mapped_column(BigInteger)
    last_hit_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_throttle_counters_window_ends_ms", "window_ends_ms"),)


_T = ThrottleCounterEntity.__table__
PURGE_BATCH = 1000


class DatabaseStore:
    def take(self, takes: Sequence[Take], now_ms: int) -> dict[str, Counter]:
        if not takes:
            return {}
        # Rows in key order: concurrent requests lock shared counters in one order, never in
        # a circle.
        takes = sorted({t.key: t for t in takes}.values(), key=lambda t: t.key)
        with independent_transaction() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(_T).values(
                [
                    {
                        "key": t.key,
                        "hits": 1,
                        "window_ends_ms": now_ms + t.window_ms,
                        "last_hit_ms": now_ms,
                    }
                    for t in takes
                ]
            )
            expired = _T.c.window_ends_ms <= now_ms
            limit = case({t.key: t.limit for t in takes}, value=_T.c.key)
            # One statement for every key: PostgreSQL locks each conflicting row, SQLite holds
            # the write lock, so concurrent hits are serialised and each sees the one before.
            # A key at its limit fails the WHERE: not updated, not returned.
            statement = insert.on_conflict_do_update(
                index_elements=[_T.c.key],
                set_={
                    "hits": case((expired, 1), else_=_T.c.hits + 1),
                    "window_ends_ms": case(
                        (expired, insert.excluded.window_ends_ms), else_=_T.c.window_ends_ms
                    ),
                    "last_hit_ms": now_ms,
                },
                where=expired | (_T.c.hits < limit),
            ).returning(_T.c.key, _T.c.hits, _T.c.window_ends_ms, _T.c.last_hit_ms)
            rows = conn.execute(statement).all()
        return {
            row.key: Counter(int(row.hits), int(row.window_ends_ms), int(row.last_hit_ms))
            for row in rows
        }

    def incr(self, key: str, window_ms: int, now_ms: int) -> Counter:
        return self.take([Take(key, window_ms, NO_LIMIT)], now_ms)[key]

    def decr(self, key: str, now_ms: int) -> None:
        with independent_transaction() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.key == key, _T.c.window_ends_ms > now_ms, _T.c.hits > 0)
                .values(hits=_T.c.hits - 1)
            )

    def get(self, key: str, now_ms: int) -> Counter | None:
        with independent_transaction(write=False) as conn:
            row = conn.execute(
                select(_T.c.hits, _T.c.window_ends_ms, _T.c.last_hit_ms).where(
                    _T.c.key == key, _T.c.window_ends_ms > now_ms
                )
            ).first()
        return (
            Counter(int(row.hits), int(row.window_ends_ms), int(row.last_hit_ms)) if row else None
        )

    def clear(self, key: str) -> None:
        with independent_transaction() as conn:
            conn.execute(delete(_T).where(_T.c.key == key))

    def clear_prefix(self, prefix: str) -> None:
        with independent_transaction() as conn:
            conn.execute(delete(_T).where(_T.c.key.startswith(prefix, autoescape=True)))

    def purge(self, now_ms: int) -> int:
        with independent_transaction() as conn:
            batch = (
                select(_T.c.key)
                .where(_T.c.window_ends_ms <= now_ms)
                .order_by(_T.c.window_ends_ms)
                .limit(PURGE_BATCH)
                .scalar_subquery()
            )
            return conn.execute(delete(_T).where(_T.c.key.in_(batch))).rowcount or 0

    def reset(self) -> None:
        with independent_transaction() as conn:
            conn.execute(delete(_T))


# --- Redis ----------------------------------------------------------------------------------

# KEYS: the counters; ARGV: now, then (window, limit) per key. Returns {index, hits, ends}
# for each key counted.
_TAKE = """
local now = tonumber(ARGV[1])
local counted = {}
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local c = redis.call('HMGET', key, 'hits', 'ends')
  local hits, ends = tonumber(c[1]), tonumber(c[2])
  local room = true
  if not ends or ends <= now then
    hits, ends = 1, now + window
  elseif hits < limit then
    hits = hits + 1
  else
    room = false
  end
  if room then
    redis.call('HSET', key, 'hits', hits, 'ends', ends, 'last', now)
    redis.call('PEXPIRE', key, ends - now)
    table.insert(counted, {i, hits, ends})
  end
end
return counted
"""

_DECR = """
local now = tonumber(ARGV[1])
local c = redis.call('HMGET', KEYS[1], 'hits', 'ends')
local hits, ends = tonumber(c[1]), tonumber(c[2])
if ends and ends > now and hits > 0 then
  redis.call('HSET', KEYS[1], 'hits', hits - 1)
end
return 0
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class RedisStore:
    """Counters as Redis hashes under `namespace`; Redis expires them with their window.

    When Redis cannot be reached the limits fail open (logged): a Redis outage should not take
    the booking form and the sign-in page down with it. The database store needs no such rule,
    since without the database there is no page to protect."""

    def __init__(self, url: str, namespace: str = "rentkit:throttle:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.namespace = namespace
        self._errors = redis.RedisError
        self._take = self.client.register_script(_TAKE)
        self._decr = self.client.register_script(_DECR)

    def _unavailable(self, exc: Exception) -> None:
        log.warning("rate-limit store unavailable, limits not applied: %s", exc)

    def take(self, takes: Sequence[Take], now_ms: int) -> dict[str, Counter]:
        if not takes:
            return {}
        args: list[int] = [now_ms]
        for t in takes:
            args += [t.window_ms, t.limit]
        try:
            counted = self._take(keys=[self.namespace + t.key for t in takes], args=args)
        except self._errors as exc:
            self._unavailable(exc)
            return {t.key: Counter(0, now_ms + t.window_ms, now_ms) for t in takes}
        return {
            takes[int(i) - 1].key: Counter(int(hits), int(ends), now_ms)
            for i, hits, ends in counted
        }

    def incr(self, key: str, window_ms: int, now_ms: int) -> Counter:
        return self.take([Take(key, window_ms, NO_LIMIT)], now_ms)[key]

    def decr(self, key: str, now_ms: int) -> None:
        try:
            self._decr(keys=[self.namespace + key], args=[now_ms])
        except self._errors as exc:
            self._unavailable(exc)

    def get(self, key: str, now_ms: int) -> Counter | None:
        try:
            hits, ends, last = self.client.hmget(self.namespace + key, "hits", "ends", "last")
        except self._errors as exc:
            self._unavailable(exc)
            return None
        if ends is None or int(ends) <= now_ms:
            return None
        return Counter(int(hits), int(ends), int(last))

    def clear(self, key: str) -> None:
        self.client.delete(self.namespace + key)

    def clear_prefix(self, prefix: str) -> None:
        pattern = _glob_escape(self.namespace + prefix) + "*"
        keys = list(self.client.scan_iter(match=pattern, count=500))
        if keys:
            self.client.delete(*keys)

    def purge(self, now_ms: int) -> int:
        return 0  # Redis expires the keys itself

    def reset(self) -> None:
        self.clear_prefix("")


# --- one process (tests, development) -------------------------------------------------------


class MemoryStore:
    def __init__(self) -> None:
        self._counters: dict[str, Counter] = {}
        self._lock = threading.Lock()

    def take(self, takes: Sequence[Take], now_ms: int) -> dict[str, Counter]:
        counted: dict[str, Counter] = {}
        with self._lock:
            for t in takes:
                current = self._counters.get(t.key)
                if current is None or current.window_ends_ms <= now_ms:
                    counter = Counter(1, now_ms + t.window_ms, now_ms)
                elif current.hits < t.limit:
                    counter = Counter(current.hits + 1, current.window_ends_ms, now_ms)
                else:
                    continue
                self._counters[t.key] = counted[t.key] = counter
        return counted

    def incr(self, key: str, window_ms: int, now_ms: int) -> Counter:
        return self.take([Take(key, window_ms, NO_LIMIT)], now_ms)[key]

    def decr(self, key: str, now_ms: int) -> None:
        with self._lock:
            c = self._counters.get(key)
            if c is not None and c.window_ends_ms > now_ms and c.hits > 0:
                self._counters[key] = Counter(c.hits - 1, c.window_ends_ms, c.last_hit_ms)

    def get(self, key: str, now_ms: int) -> Counter | None:
        with self._lock:
            c = self._counters.get(key)
        return c if c is not None and c.window_ends_ms > now_ms else None

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)

    def clear_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._counters if k.startswith(prefix)]:
                del self._counters[key]

    def purge(self, now_ms: int) -> int:
        with self._lock:
            expired = [k for k, c in self._counters.items() if c.window_ends_ms <= now_ms]
            for key in expired:
                del self._counters[key]
        return len(expired)

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()


def store_from_uri(uri: str | None, namespace: str = "rentkit:throttle:") -> CounterStore:
    """'database' (default), 'redis://…' / 'rediss://…' / 'unix://…', or 'memory://'."""
    uri = (uri or "database").strip()
    if uri == "database":
        return DatabaseStore()
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri, namespace)
    if uri == "memory://":
        return MemoryStore()
    raise ValueError(
        f"RATELIMIT_STORAGE_URI={uri!r} is not supported: use 'database' (the default), "
        "'redis://host:6379/0', or 'memory://' (one process only: tests and development)."
    )


__all__ = [
    "NO_LIMIT",
    "Counter",
    "CounterStore",
    "DatabaseStore",
    "MemoryStore",
    "RedisStore",
    "Take",
    "ThrottleCounterEntity",
    "store_from_uri",
]
