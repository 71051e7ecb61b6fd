"""Two web nodes on one database (docs/scaling.md): two real gunicorn processes on their own
ports, as two machines behind a round-robin balancer would run them. Sessions and CSRF tokens
are cookies signed with the SECRET_KEY both share, so a form served by node A is accepted by
node B; the login rate limit counts in the shared store, so attempts spread over both nodes
trip it at the configured count, not at twice that.

The balancer itself (HAProxy) is exercised by benchmarks/scaleout.py; deploy/ holds its config,
which is checked here with `haproxy -c` when HAProxy is installed.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rental.shared.throttle import parse_limit
from tests.support.auth import create_staff
from tests.support.processes import (
    ROOT,
    Proc,
    free_port,
    process_env,
    wait_for_http,
    wait_until,
    web_command,
)
from tests.support.throttle import http_get, login_form, post_form, status_of

pytestmark = pytest.mark.slow
SECRET = {"SECRET_KEY": secrets.token_hex(16)}  # the same on both nodes, as deploy/ says
_COOKIE = re.compile(rb"^set-cookie: (rentkit_session=[^;]+)", re.IGNORECASE | re.MULTILINE)
_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')


@contextmanager
def two_nodes(database_url: str, logs_dir: Path, **env: str) -> Iterator[tuple[int, int]]:
    """(port of node A, port of node B): separate gunicorn masters, one worker each."""
    ports = (free_port(), free_port())
    procs: list[Proc] = []
    try:
        for port in ports:
            # Registered before it answers, so a node that does not come up is stopped too;
            # a longer wait than start_web's: two app start-ups on a loaded 2-core machine.
            procs.append(
                Proc(
                    web_command(port, workers=1),
                    process_env(database_url, **SECRET, **env),
                    logs_dir / f"web-{port}.log",
                )
            )
        for port, proc in zip(ports, procs, strict=True):
            wait_for_http(f"http://127.0.0.1:{port}/healthz", proc, timeout=120)
        yield ports
    finally:
        for proc in procs:
            proc.stop()


@pytest.fixture(scope="module")
def nodes(database_url, logs_dir) -> Iterator[tuple[int, int]]:
    """Two nodes with the default rate-limit store (the database)."""
    with two_nodes(database_url, logs_dir) as ports:
        yield ports


@contextmanager
def redis_server(logs_dir: Path) -> Iterator[str]:
    """A private redis-server on a free port (skip when the binary is missing)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.skip("redis-server is not installed")
    import redis

    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = Proc(args, {}, logs_dir / f"redis-{port}.log")
    try:
        client = redis.Redis(port=port, socket_connect_timeout=1)
        wait_until(lambda: _pings(client), message=f"redis-server did not start:\n{proc.log()}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.stop()


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _cookie(raw: bytes, current: str) -> str:
    """The session cookie a response set, else the one the client already had."""
    match = _COOKIE.search(raw.split(b"\r\n\r\n", 1)[0])
    return match.group(1).decode() if match else current


def test_signed_in_on_one_node_a_form_from_it_is_accepted_by_the_other(app, nodes):
    a, b = nodes
    user = create_staff("STAFF")
    cookie, token = login_form(a)  # the sign-in form (and its CSRF token) from node A
    form = {"email": user.email, "password": user.password, "csrf_token": token}
    signed_in = post_form(b, "/login", form, cookie)  # …sent to node B
    assert status_of(signed_in) == 303, signed_in[:400]
    cookie = _cookie(signed_in, cookie)

    page = http_get(a, "/admin/", cookie)  # node A knows the session node B started
    assert status_of(page) == 200, page[:400]
    cookie = _cookie(page, cookie)
    found = _TOKEN.search(page)
    assert found, "no CSRF token on /admin/"

    # A wrong token is refused on B (the check is real), the one A issued is accepted.
    forged = post_form(b, "/logout", {"csrf_token": "x" + found.group(1).decode()}, cookie)
    assert status_of(forged) == 400
    out = post_form(b, "/logout", {"csrf_token": found.group(1).decode()}, cookie)
    assert status_of(out) == 303 and b"Location: /" in out, out[:400]
    after = http_get(a, "/admin/", _cookie(out, cookie))  # signed out everywhere
    assert status_of(after) == 302 and b"Location: /login" in after


def test_a_price_changed_anywhere_shows_on_both_nodes_at_their_next_request(app, nodes):
    """Each node keeps the catalog and rate cards in its process (rental.shared.reference_cache);
    the change below is made by a third process (this test's), which tells neither node."""
    from tests.integration.test_reference_cache import set_daily
    from tests.support.fleet import make_type

    fleet = make_type(units=1, daily="120.00")
    for port in nodes:
        for _ in range(2):  # the second answer comes from what the node kept
            assert b"120.00" in http_get(port, f"/catalog/{fleet.slug}")
    set_daily(fleet, "95.00")
    for port in nodes:
        page = http_get(port, f"/catalog/{fleet.slug}")
        assert b"95.00" in page and b"120.00" not in page, page[:300]


def test_the_login_limit_counts_attempts_on_both_nodes_together(app, nodes):
    assert_limit_shared(app, nodes)


def test_with_redis_the_nodes_share_the_login_limit_too(app, database_url, logs_dir):
    with (
        redis_server(logs_dir) as url,
        two_nodes(database_url, logs_dir, RATELIMIT_STORAGE_URI=url) as ports,
    ):
        assert_limit_shared(app, ports)


def assert_limit_shared(app, nodes: tuple[int, int]) -> None:
    limit = parse_limit(app.config["LOGIN_RATE_LIMIT_IP"]).amount
    cookie, token = login_form(nodes[0])
    statuses, served_by = [], []
    for attempt in range(limit + 1):
        # Another account each time, so only the per-IP limit applies; nodes alternate.
        email = create_staff("STAFF").email
        port = nodes[attempt % 2]
        form = {"email": email, "password": "wrong password!", "csrf_token": token}
        statuses.append(status_of(post_form(port, "/login", form, cookie)))
        served_by.append(port)
    assert set(served_by) == set(nodes)
    # Refused at the configured attempt: each node alone has seen only about half of them.
    assert statuses == [422] * limit + [429]


def test_the_balancer_config_in_deploy_is_valid_haproxy(tmp_path: Path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("HAProxy is not installed (apt-get install haproxy)")
    from benchmarks.scaleout import render_haproxy

    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy(
            (ROOT / "deploy" / "haproxy.cfg.template").read_text(),
            listen=f"127.0.0.1:{free_port()}",
            nodes=[("web1", "10.0.0.11:8000"), ("web2", "10.0.0.12:8000")],
            stats_socket=str(tmp_path / "haproxy.sock"),
        )
    )
    check = subprocess.run(
        [haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr
