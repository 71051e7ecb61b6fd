"""Rate limits and sign-out against real gunicorn processes with several workers.

The attempts are spread over the workers on purpose, not by luck: a request is held inside one
worker (headers sent with `Expect: 100-continue`, body held back) while the next one is sent,
so each round of N requests is served by N different processes (tests/support/throttle.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from rental.shared.throttle import parse_limit
from tests.support.auth import create_staff
from tests.support.processes import Proc, free_port, start_web
from tests.support.throttle import (
    http_get,
    login_form,
    post_form,
    posts_on_distinct_workers,
    redis_namespace,
    status_of,
)

pytestmark = pytest.mark.slow
WORKERS = 3
SECRET = {"SECRET_KEY": secrets.token_hex(16)}


@pytest.fixture(scope="module")
def web(database_url, logs_dir) -> Iterator[int]:
    """gunicorn with 3 workers and the default configuration (counters in the database)."""
    port = free_port()
    proc = start_web(database_url, port, logs_dir, workers=WORKERS, **SECRET)
    yield port
    proc.stop()


def wrong_guesses(port: int, count: int) -> list[int]:
    """`count` wrong passwords, each for another account, so only the per-IP limit applies.
    (Accounts of this test's cheap hashes: the check stays real but does not load the CPU.)"""
    emails = [create_staff("STAFF").email for _ in range(count)]
    cookie, token = login_form(port)
    forms = [
        {"email": email, "password": "wrong password!", "csrf_token": token} for email in emails
    ]
    responses = posts_on_distinct_workers(port, "/login", forms, cookie, WORKERS)
    return [status_of(r) for r in responses]


def test_the_login_limit_is_shared_by_all_gunicorn_workers(app, web):
    limit = parse_limit(app.config["LOGIN_RATE_LIMIT_IP"]).amount
    assert (limit + 1) % WORKERS == 0, "whole rounds: every worker serves the same number"
    statuses = wrong_guesses(web, limit + 1)
    # Exactly at the configured attempt, not at workers × limit.
    assert statuses == [422] * limit + [429]


def test_with_redis_the_limit_is_shared_too(app, database_url, logs_dir):
    limit = parse_limit(app.config["LOGIN_RATE_LIMIT_IP"]).amount
    with redis_namespace() as (url, prefix):
        port = free_port()
        proc: Proc = start_web(
            database_url,
            port,
            logs_dir,
            workers=WORKERS,
            RATELIMIT_STORAGE_URI=url,
            RATELIMIT_KEY_PREFIX=prefix,
            **SECRET,
        )
        try:
            statuses = wrong_guesses(port, limit + 1)
        finally:
            proc.stop()
    assert statuses == [422] * limit + [429]


def test_the_spreading_is_real_memory_counters_would_let_workers_times_more_through(
    app, database_url, logs_dir
):
    """The control: per-process counters (memory://, opt-in) see a third each and refuse none,
    so the two tests above would fail if the counters were not shared."""
    limit = parse_limit(app.config["LOGIN_RATE_LIMIT_IP"]).amount
    port = free_port()
    proc = start_web(
        database_url, port, logs_dir, workers=WORKERS, RATELIMIT_STORAGE_URI="memory://", **SECRET
    )
    try:
        statuses = wrong_guesses(port, limit + 1)
    finally:
        proc.stop()
    assert statuses == [422] * (limit + 1)


def _session_cookie(raw: bytes, current: str) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"set-cookie: rentkit_session="):
            return line.split(b": ", 1)[1].split(b";")[0].decode()
    return current


def test_a_replayed_cookie_after_logout_gets_the_login_page(app, web):
    user = create_staff("STAFF")
    cookie, token = login_form(web)
    form = {"email": user.email, "password": user.password, "csrf_token": token}
    signed_in = post_form(web, "/login", form, cookie)
    assert status_of(signed_in) == 303, signed_in[:300]
    cookie = _session_cookie(signed_in, cookie)
    page = http_get(web, "/admin/", cookie)
    assert status_of(page) == 200
    cookie = _session_cookie(page, cookie)  # now also carrying the CSRF token
    copied = cookie
    csrf = page.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()
    out = post_form(web, "/logout", {"csrf_token": csrf}, cookie)
    assert status_of(out) == 303
    # The copy kept from before signing out, sent to any worker, no longer opens /admin.
    for _ in range(WORKERS * 2):
        replay = http_get(web, "/admin/", copied)
        assert status_of(replay) == 302 and b"Location: /login" in replay
