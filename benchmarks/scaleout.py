"""Scale-out on one PostgreSQL: 2 web nodes + 2 workers behind HAProxy, and a booking storm.

    RENTAL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python benchmarks/scaleout.py [--customers 60] [--redis]

What runs (all on this machine, each its own process): a scratch PostgreSQL database (dropped
at the end), 2 gunicorn web nodes, 2 outbox workers (`python -m rental.worker`), HAProxy with
the config rendered from deploy/haproxy.cfg.template (round-robin, no stickiness), an SMTP sink
in this process for the mail the workers send, and with --redis a redis-server holding the
rate-limit counters. The storm is a separate process (this file with --storm-client): many
customers at once, each the real browser flow through the balancer — the availability page,
the details form (GET for the CSRF token, POST), the review page, POST confirm — all after the
same few scarce items in the same period.

Checks printed (and a non-zero exit from `--check` when one fails): overbooked = 0 (no item
allocated twice in overlapping periods; confirmed quantity ≤ capacity at every instant), 5xx = 0,
requests answered per node, forms accepted when another node issued their CSRF token, the login
limit tripping at the configured count with the attempts spread over both nodes (and counted
under the client's address, not the balancer's), every outbox message processed once (one
confirmation e-mail per confirmed booking). SQLite is not part of this benchmark: several
machines cannot share one SQLite file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support import postgres_admin_url, scratch_database  # noqa: E402
from tests.support.processes import web_command  # noqa: E402

TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
NODES, WORKERS = 2, 2
CLIENT_IP = "127.0.0.3"  # the login check connects from here (HAProxy itself uses 127.0.0.1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_BOOKING_TOKEN = re.compile(r'name="booking_token" value="([^"]+)"')
_COOKIE = re.compile(r"(rentkit_session=[^;]+)")


def render_haproxy(
    template: str,
    *,
    listen: str,
    nodes: list[tuple[str, str]],
    stats_socket: str,
    maxconn: int = 3,
) -> str:
    """deploy/haproxy.cfg.template with the listen address, one server line per node, and the
    requests in flight per node (0: no limit)."""
    servers = "\n".join(f"    server {name} {address} check" for name, address in nodes)
    return string.Template(template).substitute(
        listen=listen, servers=servers, stats_socket=stats_socket, maxconn=maxconn
    )


# --- one HTTP request, as a browser without keep-alive sends it ----------------------------------


@dataclass
class Hit:
    step: str
    status: int
    node: str
    ms: float
    body: str = ""
    location: str = ""
    cookie: str = ""


def request(
    port: int,
    method: str,
    path: str,
    cookie: str = "",
    form: dict[str, str] | None = None,
    source: str | None = None,
) -> Hit:
    """A new connection per request, so the round-robin balancer picks a node for each one."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=120, source_address=(source, 0) if source else None
    )
    headers = {"Host": f"127.0.0.1:{port}", "Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    set_cookie = _COOKIE.search(response.getheader("Set-Cookie") or "")
    return Hit(
        "",
        response.status,
        response.getheader("X-RentKit-Node") or "?",
        (time.perf_counter() - started) * 1000,
        text,
        response.getheader("Location") or "",
        set_cookie.group(1) if set_cookie else cookie,
    )


# --- the storm client (a separate process) ---------------------------------------------------


@dataclass
class Journey:
    email: str
    hits: list[dict] = field(default_factory=list)
    outcome: str = "started"
    reference: str = ""
    # POSTs whose CSRF token came from a page another node served, and how many were accepted.
    cross_node_posts: int = 0
    cross_node_accepted: int = 0


def customer(port: int, slug: str, period: tuple[str, str], email: str) -> Journey:
    journey = Journey(email)
    cookie = ""
    query = urllib.parse.urlencode(
        {"start": period[0], "end": period[1], "quantity": "1", "basis": "hourly"}
    )

    def step(name: str, method: str, path: str, form: dict[str, str] | None = None) -> Hit:
        nonlocal cookie
        hit = request(port, method, path, cookie, form)
        hit.step, cookie = name, hit.cookie
        journey.hits.append({"step": name, "status": hit.status, "node": hit.node, "ms": hit.ms})
        return hit

    def posted(hit: Hit, issued_by: str) -> None:
        if hit.node != issued_by:
            journey.cross_node_posts += 1
            journey.cross_node_accepted += hit.status != 400

    step("availability GET", "GET", f"/book/{slug}?{query}")
    page = step("details GET", "GET", f"/book/{slug}/details?{query}")
    csrf, token = _TOKEN.search(page.body), _BOOKING_TOKEN.search(page.body)
    if page.status != 200 or not csrf or not token:
        journey.outcome = f"details page {page.status}"
        return journey
    form = {
        "csrf_token": csrf.group(1),
        "booking_token": token.group(1),
        "start": period[0],
        "end": period[1],
        "quantity": "1",
        "basis": "hourly",
        "name": "Storm Customer",
        "email": email,
        "phone": "+49 30 555 0101",
        "street": "Baustr. 7",
        "postal_code": "10115",
        "city": "Berlin",
        "state": "Berlin",
        "country": "Germany",
    }
    held = step("details POST", "POST", f"/book/{slug}/details", form)
    posted(held, page.node)
    if held.status != 303:
        journey.outcome = f"hold refused {held.status}"
        return journey
    review_path = urllib.parse.urlsplit(held.location).path
    review = step("review GET", "GET", review_path)
    csrf = _TOKEN.search(review.body)
    if review.status != 200 or not csrf:
        journey.outcome = f"review page {review.status}"
        return journey
    confirm = step("confirm POST", "POST", review_path, {"csrf_token": csrf.group(1)})
    posted(confirm, review.node)
    if confirm.status != 303:
        journey.outcome = f"confirm refused {confirm.status}"
        return journey
    step("confirmed GET", "GET", urllib.parse.urlsplit(confirm.location).path)
    journey.outcome = "confirmed"
    journey.reference = review_path.split("/")[3]
    return journey


def storm_client(spec: dict) -> dict:
    """Every customer in its own thread, released together; the journeys as JSON."""
    gate = threading.Barrier(len(spec["customers"]))
    journeys: list[Journey] = []
    lock = threading.Lock()

    def run(slug: str, period: list[str], email: str) -> None:
        gate.wait()
        try:
            journey = customer(spec["port"], slug, (period[0], period[1]), email)
        except Exception as exc:  # a dropped connection is a result to report, not a crash
            journey = Journey(email, outcome=f"error {type(exc).__name__}: {exc}")
        with lock:
            journeys.append(journey)

    threads = [threading.Thread(target=run, args=c) for c in spec["customers"]]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "journeys": [asdict(j) for j in journeys]}


# --- the cluster -------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """A child process with its output in a log file; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.log_path = name, logs / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its children (gunicorn's workers) so far."""
        return sum(_cpu(pid) for pid in [self.popen.pid, *_children(self.popen.pid)])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle or waiting), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_http(port: int, proc: Proc, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.log_path.read_text()[-3000:]}")
        try:
            if request(port, "GET", path).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{proc.name} did not answer {path} in {timeout}s")


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class MailSink:
    """An SMTP server in this process that keeps (recipient, subject) of every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[str, str]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email

                subject = email.message_from_bytes(envelope.content).get("Subject", "")
                for rcpt in envelope.rcpt_tos:
                    sink.messages.append((rcpt.lower(), subject))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def seed(app, types: int, items: int) -> list[tuple[str, str, int]]:
    """(type id, slug, items) of `types` equipment types with `items` units each."""
    from tests.support.fleet import make_category, make_type

    with app.app_context():
        category = make_category("Storm")
        fleets = [make_type(units=items, name="Scarce", category_id=category) for _ in range(types)]
        return [(f.type_id, f.slug, len(f.item_ids)) for f in fleets]


def node_env(database_url: str, secret: str, args, mail_port: int, redis_url: str | None):
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,  # the same on every node
            "TRUSTED_PROXY_COUNT": "1",  # HAProxy in front
            "RATELIMIT_STORAGE_URI": redis_url or "database",
            "RATELIMIT_KEY_PREFIX": f"rentkit-scaleout:{secrets.token_hex(4)}:",
            "PYTHONUNBUFFERED": "1",
            "FLASK_DEBUG": "0",
            "BUSINESS_TIMEZONE": "UTC",
            "OUTBOX_POLL_SECONDS": str(args.poll),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "PUBLIC_URL": "http://127.0.0.1",
            # Every simulated customer comes from this machine's address: the per-address booking
            # limits would refuse them after a few, so they are lifted for the storm (the login
            # limit stays as configured: it is one of the checks).
            "BOOKING_HOLDS_PER_IP": "100000 per hour",
            "BOOKING_CONFIRMS_PER_IP": "100000 per hour",
            "BOOKING_OPEN_PER_IP": "100000",
        }
    )
    return env


def start_cluster(stack: ExitStack, env: dict[str, str], logs: Path, args) -> dict:
    ports = [free_port() for _ in range(NODES)]
    webs = []
    for n, port in enumerate(ports, 1):
        proc = Proc(
            f"web{n}",
            web_command(port, args.web_workers, ("--access-logfile", "-"), timeout=120),
            env,
            logs,
        )
        stack.callback(proc.stop)
        webs.append(proc)
    for proc, port in zip(webs, ports, strict=True):
        wait_http(port, proc)
    workers = []
    for n in range(1, WORKERS + 1):
        proc = Proc(f"worker{n}", [sys.executable, "-m", "rental.worker"], env, logs)
        stack.callback(proc.stop)
        workers.append(proc)
    lb_port = free_port()
    config = logs / "haproxy.cfg"
    config.write_text(
        render_haproxy(
            TEMPLATE.read_text(),
            listen=f"127.0.0.1:{lb_port}",
            nodes=[(f"web{n}", f"127.0.0.1:{p}") for n, p in enumerate(ports, 1)],
            stats_socket=str(logs / "haproxy.sock"),
            maxconn=args.web_workers if args.maxconn is None else args.maxconn,
        )
    )
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    # -db: stay in the foreground, a plain child process (no root, no daemon).
    balancer = Proc("haproxy", [haproxy, "-db", "-f", str(config)], env, logs)
    stack.callback(balancer.stop)
    wait_http(lb_port, balancer)
    # Both nodes are in rotation once consecutive requests reach both.
    deadline = time.monotonic() + 30
    while len({request(lb_port, "GET", "/healthz").node for _ in range(4)}) < NODES:
        if time.monotonic() > deadline:
            raise TimeoutError("HAProxy did not put both nodes in rotation")
        time.sleep(0.5)
    return {"lb_port": lb_port, "webs": webs, "workers": workers, "balancer": balancer}


@contextmanager
def redis_server(stack: ExitStack, logs: Path) -> Iterator[str]:
    port = free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = Proc("redis", args, dict(os.environ), logs)
    stack.callback(proc.stop)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"


# --- the checks ---------------------------------------------------------------------------------


def overbooking(app, fleet: list[tuple[str, str, int]]) -> dict[str, int]:
    """Items allocated twice in overlapping periods, and instants where the confirmed quantity
    of a type exceeds its capacity (a sweep over the confirmed reservations' ends)."""
    from sqlalchemy import text

    from rental.extensions import db

    live = "('CONFIRMED', 'ON_HIRE')"
    with app.app_context():
        double = db.session.execute(
            text(
                "SELECT count(*) FROM inventory_allocations a JOIN inventory_allocations b "
                "ON a.item_id = b.item_id AND a.id < b.id "
                "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
                "WHERE a.status <> 'CANCELLED' AND b.status <> 'CANCELLED'"
            )
        ).scalar_one()
        over = 0
        for type_id, _slug, items in fleet:
            rows = db.session.execute(
                text(
                    "SELECT start_at, end_at, quantity FROM booking_reservations "
                    f"WHERE equipment_type_id = :t AND status IN {live}"
                ),
                {"t": type_id},
            ).all()
            events = sorted(
                [(r.start_at, r.quantity) for r in rows] + [(r.end_at, -r.quantity) for r in rows],
                key=lambda e: (e[0], e[1]),  # an end before a start at the same instant
            )
            running = 0
            for _, change in events:
                running += change
                over += running > items
        db.session.remove()
    return {"items allocated twice": int(double), "periods over capacity": over}


def outbox_state(app) -> dict[str, int]:
    from sqlalchemy import text

    from rental.extensions import db

    with app.app_context():
        row = db.session.execute(
            text(
                "SELECT count(*) AS total, count(processed_at) AS processed, "
                "count(dead_at) AS dead FROM outbox_messages"
            )
        ).one()
        inbox = db.session.execute(text("SELECT count(*) FROM outbox_inbox")).scalar_one()
        dupes = db.session.execute(
            text(
                "SELECT count(*) FROM (SELECT message_id, handler FROM outbox_inbox "
                "GROUP BY message_id, handler HAVING count(*) > 1) d"
            )
        ).scalar_one()
        allocated = db.session.execute(
            text(
                "SELECT count(*) FROM booking_reservations r WHERE r.status = 'CONFIRMED' AND "
                "(SELECT count(*) FROM inventory_allocations a WHERE a.reservation_id = r.id "
                "AND a.status <> 'CANCELLED') < r.quantity"
            )
        ).scalar_one()
        db.session.remove()
    return {
        "total": row.total,
        "processed": row.processed,
        "dead": row.dead,
        "inbox": inbox,
        "inbox duplicates": dupes,
        "confirmed without allocation": allocated,
    }


def login_limit(app, lb_port: int) -> dict:
    """limit + 1 wrong passwords (another unknown account each time) through the balancer,
    from CLIENT_IP: refused exactly at the limit, with the attempts spread over the nodes."""
    from rental.shared.throttle import current_throttle, parse_limit

    limit = parse_limit(app.config["LOGIN_RATE_LIMIT_IP"]).amount
    page = request(lb_port, "GET", "/login", source=CLIENT_IP)
    cookie, csrf = page.cookie, _TOKEN.search(page.body)
    assert csrf, page.body[:300]
    statuses, nodes = [], Counter()
    for _ in range(limit + 1):
        form = {
            "email": f"nobody-{secrets.token_hex(4)}@example.com",
            "password": "wrong password!",
            "csrf_token": csrf.group(1),
        }
        hit = request(lb_port, "POST", "/login", cookie, form, source=CLIENT_IP)
        statuses.append(hit.status)
        nodes[hit.node] += 1
    with app.app_context():
        throttle = current_throttle()
        client = throttle.counter("login-ip", CLIENT_IP)
        balancer = throttle.counter("login-ip", "127.0.0.1")
    return {
        "limit": limit,
        "statuses": statuses,
        "nodes": dict(nodes),
        "ok": statuses == [422] * limit + [429] and len(nodes) == NODES,
        "counted for client": client.hits if client else 0,
        "counted for balancer": balancer.hits if balancer else 0,
    }


def wait_for_outbox(app, timeout: float) -> tuple[dict[str, int], float]:
    started = time.monotonic()
    while True:
        state = outbox_state(app)
        done = state["processed"] + state["dead"] == state["total"]
        if (done and state["confirmed without allocation"] == 0) or (
            time.monotonic() - started > timeout
        ):
            return state, time.monotonic() - started
        time.sleep(0.25)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


_HAPROXY_LINE = re.compile(
    r" web/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (\d+) .*\"(GET|POST) (\S+) "
)


def _step_of(method: str, path: str) -> str | None:
    if path.startswith("/book/review/"):
        return "review GET" if method == "GET" else "confirm POST"
    if path.startswith("/book/confirmed/"):
        return "confirmed GET"
    if path.startswith("/book/") and path.split("?")[0].endswith("/details"):
        return f"details {method}"
    if path.startswith("/book/"):
        return "availability GET"
    return None


def haproxy_timers(log: Path) -> dict[str, tuple[list[int], list[int]]]:
    """Per journey step: (ms waiting in HAProxy's queue for a free node, ms the node took to
    answer) from HAProxy's httplog lines (TR/Tw/Tc/Tr/Ta)."""
    timers: dict[str, tuple[list[int], list[int]]] = {}
    for line in log.read_text(errors="replace").splitlines():
        match = _HAPROXY_LINE.search(line)
        step = match and _step_of(match.group(8), match.group(9))
        if step:
            waited, answered = timers.setdefault(step, ([], []))
            waited.append(int(match.group(3)))
            answered.append(int(match.group(5)))
    return timers


def access_log_counts(webs) -> dict[str, int]:
    """Requests each node's gunicorn logged (the storm, the checks and HAProxy's health checks)."""
    pattern = re.compile(r'"(GET|POST|HEAD) ')
    return {w.name: len(pattern.findall(w.log_path.read_text(errors="replace"))) for w in webs}


def run(args) -> list[str]:
    from rental import create_app

    if not postgres_admin_url():
        return ["scaleout: skipped (needs PostgreSQL; a SQLite file is one machine only)"]
    if not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()):
        return ["scaleout: skipped (HAProxy not installed: apt-get install -y haproxy)"]
    secret = secrets.token_hex(32)
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    # Two overlapping periods on the same day, so the storm also races across period edges.
    periods = [(f"{day}T09:00", f"{day}T17:00"), (f"{day}T13:00", f"{day}T20:00")]
    logs = Path(args.logs or tempfile.mkdtemp(prefix="rentkit-scaleout-"))
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database("postgresql", "scaleout"))
        redis_url = stack.enter_context(redis_server(stack, logs)) if args.redis else None
        mail = MailSink()
        stack.callback(mail.stop)
        env = node_env(database_url, secret, args, mail.port, redis_url)
        # This process reads the counters the nodes wrote: the same key secret and store.
        # (Restored afterwards: run_all.py calls main() in-process, before other benchmarks.)
        stack.enter_context(
            environment(
                {k: env[k] for k in ("SECRET_KEY", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX")}
            )
        )
        from tests.support.databases import migrate

        migrate(database_url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ARGON2_TIME_COST": 1})
        stack.callback(lambda: _dispose(app))
        fleet = seed(app, args.types, args.items)
        cluster = start_cluster(stack, env, logs, args)
        lb = cluster["lb_port"]

        customers = [
            [
                fleet[i % len(fleet)][1],
                list(periods[(i // len(fleet)) % 2]),
                f"storm-{i}-{secrets.token_hex(3)}@example.com",
            ]
            for i in range(args.customers)
        ]
        procs = [*cluster["webs"], *cluster["workers"], cluster["balancer"]]
        cpu_before = {p.name: p.cpu_seconds() for p in procs}
        busy_before = machine_busy_seconds()
        pg_before = postgres_cpu(app)
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with LockSampler(database_url) as locks:
            client = subprocess.run(
                [sys.executable, __file__, "--storm-client"],
                input=json.dumps({"port": lb, "customers": customers}),
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            )
        busy = machine_busy_seconds() - busy_before
        cpu = {p.name: p.cpu_seconds() - cpu_before[p.name] for p in procs}
        cpu["PostgreSQL"] = sum(
            seconds - pg_before.get(pid, 0.0) for pid, seconds in postgres_cpu(app).items()
        )
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["load client"] = (client_after.ru_utime - client_before.ru_utime) + (
            client_after.ru_stime - client_before.ru_stime
        )
        storm = json.loads(client.stdout)
        outbox, drain_s = wait_for_outbox(app, args.drain_timeout)
        checks_login = login_limit(app, lb)
        over = overbooking(app, fleet)
        served = access_log_counts(cluster["webs"])
        timers = haproxy_timers(cluster["balancer"].log_path)
        healthz = healthz_rate(lb, args.customers, seconds=3)
    return report(
        args,
        fleet,
        storm,
        outbox,
        drain_s,
        checks_login,
        over,
        served,
        cpu,
        busy,
        healthz,
        mail.messages,
        logs,
        locks.summary(),
        timers,
    )


def postgres_cpu(app) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to this run's database (the
    server is on this machine; a backend that connected during the storm counts in full)."""
    from sqlalchemy import text

    from rental.extensions import db

    with app.app_context():
        pids = db.session.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        result = {pid: _cpu(pid) for pid in pids}
        db.session.remove()
    return result


class LockSampler:
    """Samples pg_stat_activity of this run's database every 100 ms while the storm runs: how
    many backends are running a statement, and how many of those wait for a lock."""

    def __init__(self, database_url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(database_url)
        self.samples: list[tuple[int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active'), "
            "count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(0.1):
                connected, active, waiting = conn.execute(query).one()
                self.samples.append((int(connected), int(active), int(waiting)))
                conn.rollback()

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        active = [a for _, a, _ in self.samples]
        waiting = [w for _, _, w in self.samples]
        return (
            f"connections open: max {max(c for c, _, _ in self.samples)}; "
            f"running a statement: mean {statistics.mean(active):.1f}, max {max(active)}; "
            f"of those waiting for a lock: mean {statistics.mean(waiting):.1f}, "
            f"max {max(waiting)} ({len(self.samples)} samples)"
        )


def _dispose(app) -> None:
    from rental.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def healthz_rate(port: int, concurrency: int, seconds: float) -> float:
    """The trivial endpoint through the same balancer, same connection-per-request client."""
    stop = time.monotonic() + seconds
    counts = [0] * concurrency

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            request(port, "GET", "/healthz")
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def report(
    args,
    fleet,
    storm,
    outbox,
    drain_s,
    login,
    over,
    served,
    cpu,
    busy,
    healthz,
    mails,
    logs,
    locks,
    timers,
) -> list[str]:
    journeys = storm["journeys"]
    hits = [h for j in journeys for h in j["hits"]]
    outcomes = Counter(j["outcome"] for j in journeys)
    confirmed = [j for j in journeys if j["outcome"] == "confirmed"]
    capacity = sum(items for _t, _s, items in fleet)
    by_node = Counter(h["node"] for h in hits)
    five = sum(1 for h in hits if h["status"] >= 500)
    cross = sum(j["cross_node_posts"] for j in journeys)
    cross_ok = sum(j["cross_node_accepted"] for j in journeys)
    csrf_refused = sum(1 for h in hits if h["status"] == 400)
    confirmations = Counter(
        rcpt for rcpt, subject in mails if rcpt.startswith("storm-") and "onfirm" in subject
    )
    once = all(confirmations[j["email"]] == 1 for j in confirmed) and sum(
        confirmations.values()
    ) == len(confirmed)
    overbooked = over["items allocated twice"] + over["periods over capacity"]
    seconds = storm["seconds"]
    ok = (
        overbooked == 0
        and five == 0
        and login["ok"]
        and once
        and csrf_refused == 0
        and outbox["dead"] == 0
        and outbox["processed"] == outbox["total"]
        and outbox["inbox duplicates"] == 0
        and len(confirmed) > 0
    )
    store = "redis" if args.redis else "database"
    statuses = login["statuses"]
    first_refused = statuses.index(429) + 1 if 429 in statuses else "none"
    lines = [
        f"2 web nodes × {args.web_workers} gunicorn workers + {WORKERS} workers + HAProxy "
        f"(roundrobin) on PostgreSQL, rate limits in the {store}; {len(journeys)} customers "
        f"at once after {len(fleet)} types × {args.items} items in 2 overlapping periods "
        f"({os.cpu_count()} CPUs)",
        "",
        "| check | result |",
        "|---|---|",
        f"| bookings confirmed / items | {len(confirmed)} / {capacity} (the periods overlap: "
        f"each item once; {outcomes.get('hold refused 409', 0)} holds refused: sold out) |",
        f"| **overbooked** | **{overbooked}** ({over['items allocated twice']} items allocated "
        f"twice, {over['periods over capacity']} instants over capacity) |",
        f"| 5xx | {five} of {len(hits)} requests |",
        "| requests per node (X-RentKit-Node) | "
        + ", ".join(f"{n}: {c}" for n, c in sorted(by_node.items()))
        + " |",
        "| requests per node (gunicorn access logs, incl. health checks) | "
        + ", ".join(f"{n}: {c}" for n, c in sorted(served.items()))
        + " |",
        f"| forms posted to another node than the one that issued the CSRF token | "
        f"{cross_ok} of {cross} accepted; CSRF refusals (400): {csrf_refused} |",
        f"| login limit ({login['limit']}) across nodes | attempt {first_refused} refused (429); "
        f"attempts per node {login['nodes']}; counted under the client's "
        f"address: {login['counted for client']}, under the balancer's: "
        f"{login['counted for balancer']} |",
        f"| outbox | {outbox['processed']} of {outbox['total']} processed, {outbox['dead']} dead, "
        f"{outbox['inbox']} handler runs, {outbox['inbox duplicates']} duplicated; drained "
        f"{drain_s:.1f} s after the storm |",
        f"| confirmation e-mails | {sum(confirmations.values())} for {len(confirmed)} "
        f"confirmed bookings ({'one each' if once else 'NOT one each'}) |",
        f"| all checks | {'pass' if ok else 'FAIL'} |",
        "",
        "| load | value |",
        "|---|---|",
        f"| storm | {len(hits)} requests in {seconds:.2f} s = {len(hits) / seconds:.1f} req/s; "
        f"journeys ended {len(journeys) / seconds:.1f}/s |",
        f"| `/healthz` through the balancer, same client, {len(journeys)} threads | "
        f"{healthz:.0f} req/s |",
    ]
    for step in (
        "availability GET",
        "details GET",
        "details POST",
        "review GET",
        "confirm POST",
        "confirmed GET",
    ):
        ms = [h["ms"] for h in hits if h["step"] == step]
        waited, answered = timers.get(step, ([], []))
        if ms and waited:
            lines.append(
                f"| {step} p50 / p95 | {statistics.median(ms):.0f} / {pct(ms, 0.95):.0f} ms "
                f"({len(ms)}); of which queued in HAProxy p50 {statistics.median(waited):.0f} ms, "
                f"in the node p50 / p95 {statistics.median(answered):.0f} / "
                f"{pct(answered, 0.95):.0f} ms |"
            )
    total_cpu = sum(cpu.values())
    lines.append(
        "| CPU during the storm (s) | "
        + ", ".join(f"{n} {s:.1f}" for n, s in cpu.items())
        + f"; other processes on the machine {max(0.0, busy - total_cpu):.1f}; "
        f"machine busy {busy:.1f} of {seconds * (os.cpu_count() or 1):.1f} |"
    )
    lines.append(f"| PostgreSQL backends during the storm | {locks} |")
    lines += ["", f"Outcomes: {dict(outcomes)}. Logs: {logs}"]
    if not ok:
        lines.append("**A CHECK FAILED** (see the table above).")
    return lines


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=60, help="concurrent customers")
    parser.add_argument("--types", type=int, default=2, help="scarce equipment types")
    parser.add_argument("--items", type=int, default=3, help="items of each type")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument(
        "--maxconn",
        type=int,
        help="HAProxy maxconn per node (default: --web-workers; 0: unlimited)",
    )
    parser.add_argument("--poll", type=float, default=0.5, help="OUTBOX_POLL_SECONDS")
    parser.add_argument("--redis", action="store_true", help="rate limits in a redis-server")
    parser.add_argument("--drain-timeout", type=float, default=60)
    parser.add_argument("--logs", help="keep the processes' logs here (default: a temp dir)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    parser.add_argument("--storm-client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="short runs (make bench --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers = min(args.customers, 20)
    return args


def main(argv: list[str] | None = None) -> list[str]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args)


if __name__ == "__main__":
    options = parse_args(sys.argv[1:])
    if options.storm_client:
        print(json.dumps(storm_client(json.load(sys.stdin))))
        sys.exit(0)
    table = run(options)
    print("\n".join(table))
    sys.exit(1 if options.check and any("CHECK FAILED" in line for line in table) else 0)
