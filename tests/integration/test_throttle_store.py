"""The rate-limit counter stores (rental.shared.counters) and the throttle on top of them:
the same contract for the database (SQLite and PostgreSQL), Redis and memory, and no lost
update when many threads count the same key at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from rental.shared.counters import DatabaseStore, MemoryStore, RedisStore, store_from_uri
from rental.shared.throttle import Attempt, Throttle, parse_limit
from tests.support.throttle import FakeClock, redis_namespace

HOUR_MS = 3_600_000
T0 = 1_900_000_000_000


@pytest.fixture(params=["database", "redis", "memory"])
def store(request, app: Flask) -> Iterator:
    if request.param == "database":
        yield DatabaseStore()
    elif request.param == "redis":
        with redis_namespace() as (url, prefix):
            yield RedisStore(url, prefix)
    else:
        yield MemoryStore()


def test_a_counter_counts_in_its_window_and_starts_afresh_after_it(store):
    first = store.incr("k", HOUR_MS, T0)
    assert (first.hits, first.window_ends_ms, first.last_hit_ms) == (1, T0 + HOUR_MS, T0)
    second = store.incr("k", HOUR_MS, T0 + 1000)
    assert (second.hits, second.window_ends_ms, second.last_hit_ms) == (2, T0 + HOUR_MS, T0 + 1000)
    assert store.get("k", T0 + 2000) == second
    assert store.get("other", T0) is None
    # The window is fixed: it ends an hour after the first hit, whatever came later.
    assert store.get("k", T0 + HOUR_MS) is None
    fresh = store.incr("k", HOUR_MS, T0 + HOUR_MS)
    assert (fresh.hits, fresh.window_ends_ms) == (1, T0 + 2 * HOUR_MS)


def test_decr_takes_one_back_never_below_zero_and_never_revives_a_window(store):
    store.incr("k", HOUR_MS, T0)
    store.incr("k", HOUR_MS, T0 + 5)
    store.decr("k", T0 + 10)
    counter = store.get("k", T0 + 10)
    assert counter.hits == 1 and counter.last_hit_ms == T0 + 5
    store.decr("k", T0 + 10)
    store.decr("k", T0 + 10)
    assert store.get("k", T0 + 10).hits == 0
    store.decr("gone", T0)
    assert store.get("gone", T0) is None
    store.decr("k", T0 + HOUR_MS)  # after the window: nothing
    assert store.get("k", T0 + HOUR_MS) is None


def test_clear_and_clear_prefix(store):
    for key in ("login-pair:aa:11", "login-pair:aa:22", "login-pair:ab:11", "login-ip:11"):
        store.incr(key, HOUR_MS, T0)
    store.clear_prefix("login-pair:aa:")
    assert store.get("login-pair:aa:11", T0) is None and store.get("login-pair:aa:22", T0) is None
    assert store.get("login-pair:ab:11", T0) is not None
    store.clear("login-ip:11")
    assert store.get("login-ip:11", T0) is None
    store.clear_prefix("login_pair")  # '_' is no wildcard
    assert store.get("login-pair:ab:11", T0) is not None


def test_the_database_store_purges_expired_counters_only(app):
    store = DatabaseStore()
    store.incr("old", 1000, T0)
    store.incr("live", HOUR_MS, T0)
    assert store.purge(T0 + 1000) == 1
    assert store.get("live", T0 + 1000) is not None
    assert store.incr("old", 1000, T0 + 1000).hits == 1


def test_unknown_storage_uris_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="RATELIMIT_STORAGE_URI='memcached://x'"):
        store_from_uri("memcached://x")
    assert isinstance(store_from_uri(None), DatabaseStore)
    assert isinstance(store_from_uri("memory://"), MemoryStore)


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [
        ("10 per hour", 10, 3600),
        ("5 per 15 minutes", 5, 900),
        ("100/day", 100, 86400),
        (" 3 PER 2 Hours ", 3, 7200),
    ],
)
def test_limits_are_read_from_plain_text(text, amount, seconds):
    limit = parse_limit(text)
    assert (limit.amount, limit.seconds) == (amount, seconds)


def test_unreadable_limits_are_refused_and_off_means_no_limit():
    for bad in ("ten per hour", "10 per fortnight", "0 per hour", "10 per 0 hours", "10"):
        with pytest.raises(ValueError, match="is not a rate limit"):
            parse_limit(bad)
    assert parse_limit("off") is None and parse_limit("") is None


# --- concurrency: many threads, one key -------------------------------------------------------


def _in_threads(app: Flask, threads: int, work) -> list:
    """Run `work()` in `threads` threads released together, each in its own app context."""
    barrier = threading.Barrier(threads)

    def run():
        with app.app_context():
            barrier.wait(timeout=30)
            return work()

    with ThreadPoolExecutor(threads) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run) for _ in range(threads)]]


def test_concurrent_hits_on_one_key_are_all_counted(app, store):
    threads, per_thread = 8, 25

    def work():
        return [store.incr("hot", HOUR_MS, T0).hits for _ in range(per_thread)]

    seen = [hits for result in _in_threads(app, threads, work) for hits in result]
    total = threads * per_thread
    # Every hit saw its own count: no two read the same value, none was lost.
    assert sorted(seen) == list(range(1, total + 1))
    assert store.get("hot", T0).hits == total


def test_concurrent_attempts_let_exactly_the_limit_through(app, store):
    throttle = Throttle(store, b"secret", FakeClock(T0 / 1000))
    limit = parse_limit("7 per hour")

    def work():
        return [throttle.attempt("scope", "10.0.0.1", limit).allowed for _ in range(4)]

    allowed = [ok for result in _in_threads(app, 6, work) for ok in result]
    assert allowed.count(True) == 7 and len(allowed) == 24
    assert throttle.counter("scope", "10.0.0.1").hits == 7  # refusals are not counted


def test_a_request_under_several_limits_counts_against_all_or_none(app, store):
    throttle = Throttle(store, b"secret", FakeClock(T0 / 1000))

    def attempt(email: str):
        return throttle.attempt_all(
            [Attempt("ip", "10.0.0.1", "5 per hour"), Attempt("email", email, "1 per hour")]
        )

    assert attempt("ann@example.com")[0] is None and attempt("bob@example.com")[0] is None
    refused, decision = attempt("ann@example.com")
    assert refused == 1 and not decision.allowed and 0 < decision.retry_after <= 3600
    # The network's count taken for the refused request was given back.
    assert throttle.counter("ip", "10.0.0.1").hits == 2
    assert throttle.counter("email", "ann@example.com").hits == 1
    for n in range(3):
        assert attempt(f"other{n}@example.com")[0] is None
    refused, decision = attempt("new@example.com")  # the network's limit now
    assert refused == 0 and not decision.allowed
    given_back = throttle.counter("email", "new@example.com")
    assert given_back is None or given_back.hits == 0


def test_keys_hold_no_personal_data_and_any_input_fits(app, store):
    throttle = Throttle(store, b"secret", FakeClock(T0 / 1000))
    odd = "ann@example.com\x00" + "é" * 500
    assert throttle.attempt("booking-holds-email", odd, "1 per hour").allowed
    assert not throttle.attempt("booking-holds-email", odd, "1 per hour").allowed
    key = throttle.key("booking-holds-email", odd)
    assert "ann" not in key and len(key) < 100
    assert throttle.key("s", ("a", "b")).startswith(throttle.key("s", ("a",), prefix=True))


def test_an_unreachable_redis_fails_open_and_says_so(app, caplog, monkeypatch):
    import logging

    import redis

    from tests.support.processes import free_port

    # (Alembic's logging set-up in the migration fixture disables existing loggers.)
    monkeypatch.setattr(logging.getLogger("rental.shared.counters"), "disabled", False)
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    throttle = Throttle(store, b"secret", FakeClock(T0 / 1000))
    assert [throttle.attempt("s", "k", "1 per hour").allowed for _ in range(3)] == [True] * 3
    assert "rate-limit store unavailable" in caplog.text
    with pytest.raises(redis.ConnectionError):  # an admin's unlock must not claim success
        throttle.clear("s", "k")
