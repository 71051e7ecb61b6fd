"""Helpers for rate-limit tests: a clock the test moves (no sleeping), the local Redis when one
answers, and raw HTTP requests that are provably served by different gunicorn workers."""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

REDIS_ENV = "RENTAL_TEST_REDIS_URL"


@dataclass
class FakeClock:
    """Epoch seconds that only move when the test says so."""

    now: float
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def redis_url() -> str:
    """The test Redis (RENTAL_TEST_REDIS_URL, else the local default); skip when none answers."""
    import redis

    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url} ({exc}); set {REDIS_ENV}")
    return url


@contextmanager
def redis_namespace() -> Iterator[tuple[str, str]]:
    """(url, key prefix) of a private corner of the test Redis, emptied afterwards."""
    import redis

    url = redis_url()
    prefix = f"rentkit-test:{secrets.token_hex(6)}:"
    try:
        yield url, prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


# --- raw HTTP against gunicorn ------------------------------------------------------------------

_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
_COOKIE = re.compile(rb"Set-Cookie: (rentkit_session=[^;]+)", re.IGNORECASE)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def http_get(port: int, path: str, cookie: str = "") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        sock.sendall((headers + "\r\n").encode())
        return _read_all(sock)


def login_form(port: int) -> tuple[str, str]:
    """(session cookie, CSRF token) from the real /login page."""
    raw = http_get(port, "/login")
    cookie, token = _COOKIE.search(raw), _TOKEN.search(raw)
    assert cookie and token, raw[:500]
    return cookie.group(1).decode(), token.group(1).decode()


class HeldPost:
    """A POST whose headers are sent with `Expect: 100-continue` and whose body is held back.
    Once gunicorn answers "100 Continue" the request is inside a worker, which then waits for
    the body: that worker is busy, so the next request must be served by another one."""

    def __init__(self, port: int, path: str, form: dict[str, str], cookie: str) -> None:
        self.body = urlencode(form).encode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(self.body)}\r\nExpect: 100-continue\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = self.sock.recv(1)
            assert chunk, "connection closed before 100 Continue"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100"), interim

    def finish(self) -> bytes:
        try:
            self.sock.sendall(self.body)
            return _read_all(self.sock)
        finally:
            self.sock.close()


def post_form(port: int, path: str, form: dict[str, str], cookie: str) -> bytes:
    return HeldPost(port, path, form, cookie).finish()


def posts_on_distinct_workers(
    port: int, path: str, forms: list[dict[str, str]], cookie: str, workers: int
) -> list[bytes]:
    """Send `forms` in rounds of `workers` requests that are served by `workers` different
    processes: all but the last of a round are held inside a worker first; then the last is
    served and the held ones are finished one by one. Responses in the order served."""
    responses: list[bytes] = []
    for start in range(0, len(forms), workers):
        round_forms = forms[start : start + workers]
        held = [HeldPost(port, path, form, cookie) for form in round_forms[:-1]]
        responses.append(post_form(port, path, round_forms[-1], cookie))
        for post in reversed(held):
            responses.append(post.finish())
    return responses
