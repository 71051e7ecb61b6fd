"""Shared parts of the benchmarks: which databases to run on, scratch databases, a gunicorn
server on a free port over a seeded scratch database, `ab` runs, and the pgbench baseline.

Every benchmark that needs a web server starts it here, so the `/healthz` baseline and the
pages it is compared with run on the same gunicorn configuration in the same run."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTGRES_ENV = "RENTAL_TEST_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
VENV_BIN = Path(sys.executable).parent

# The public booking journey is rate limited per client IP (10 holds an hour, 5 open holds):
# a benchmark sends every journey from 127.0.0.1, so its server lifts those limits.
BENCH_ENV = {
    "BOOKING_OPEN_PER_IP": "1000000",
    "BOOKING_HOLDS_PER_IP": "1000000 per hour",
    "BOOKING_HOLDS_PER_EMAIL": "1000000 per hour",
    "BOOKING_CONFIRMS_PER_IP": "1000000 per hour",
    "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789",
    "PUBLIC_URL": "http://127.0.0.1",
}


# --- databases ---------------------------------------------------------------------------------


def _reachable(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def postgres_admin_url() -> str | None:
    """RENTAL_TEST_POSTGRES_URL, else the local default when it answers, else None."""
    if url := os.environ.get(POSTGRES_ENV):
        return url
    return DEFAULT_POSTGRES if _reachable(DEFAULT_POSTGRES) else None


def backends(only: str | None = None) -> list[str]:
    """ "sqlite", and "postgresql" when a server is there (or just the one asked for)."""
    found = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
    return [b for b in found if only in (None, b)]


@contextmanager
def scratch_database(backend: str, tag: str = "bench") -> Iterator[str]:
    """A new empty database (a SQLite file in a temporary folder, or a PostgreSQL database
    named rental_bench_<tag>_<random>), dropped afterwards."""
    from tests.support.databases import fresh_database

    with (
        tempfile.TemporaryDirectory(prefix=f"rental-{tag}-") as folder,
        fresh_database(
            backend,
            Path(folder),
            prefix=f"rental_bench_{tag}",
            admin_url=postgres_admin_url() if backend == "postgresql" else None,
        ) as url,
    ):
        yield url


def seed_demo(database_url: str, reservations: bool = True) -> None:
    """Migrate and load the demo data (what `make seed` does), in this process. The demo
    staff's passwords go to a file of their own: the default is the repo's
    instance/demo-admin.txt, which holds the passwords of `make run`'s database."""
    from flask_migrate import upgrade

    from rental import create_app
    from rental.extensions import db
    from rental.shared.seeding import seeders

    with tempfile.TemporaryDirectory(prefix="rental-bench-credentials-") as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "DEMO_CREDENTIALS_FILE": str(Path(folder) / "demo-admin.txt"),
                **BENCH_ENV,
            }
        )
        with app.app_context():
            upgrade()
            for name, seeder in seeders():
                if reservations or name != "reservations":
                    seeder()
            db.session.commit()
            db.engine.dispose()


# --- the web server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    workers: int
    process: subprocess.Popen


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        with suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
            if reply.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


@contextmanager
def gunicorn(
    database_url: str, workers: int = 5, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[Server]:
    """gunicorn (the Procfile's configuration, no access log) with `workers` sync workers on a
    free port over `database_url`; stopped with SIGTERM (then SIGKILL after 20 s)."""
    from tests.support.processes import web_command

    port = free_port()
    # gunicorn's own default timeout (30 s), as before the command was shared with the tests.
    command = web_command(port, workers, ("--log-level", "warning"), timeout=30)
    environment = {**os.environ, **BENCH_ENV, "DATABASE_URL": database_url, **(env or {})}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=out, stderr=out, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Server(url, workers, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()


# --- load: ab ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One load run: requests per second, latency percentiles (ms), failures."""

    requests: int
    rps: float
    p50: float
    p95: float
    non_2xx: int
    failed: int


def ab_path() -> str:
    path = shutil.which("ab")
    if not path:
        raise RuntimeError("ab is missing: apt-get install -y apache2-utils")
    return path


def ab(
    url: str, concurrency: int = 16, seconds: float = 10, headers: dict[str, str] | None = None
) -> Load:
    """`ab -k -c N -t S` on one URL (keep-alive, as a browser would; gunicorn's sync workers
    close after each response anyway)."""
    command = [ab_path(), "-q", "-c", str(concurrency), "-t", str(seconds), "-n", "10000000"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    text = output.stdout
    if output.returncode != 0 and "Requests per second" not in text:
        raise RuntimeError(f"ab failed: {output.stderr.strip()[:300]}")

    def number(pattern: str, default: float = 0.0) -> float:
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else default

    return Load(
        requests=int(number(r"^Complete requests:\s+(\d+)")),
        rps=number(r"^Requests per second:\s+([\d.]+)"),
        p50=number(r"^\s+50%\s+(\d+)"),
        p95=number(r"^\s+95%\s+(\d+)"),
        non_2xx=int(number(r"^Non-2xx responses:\s+(\d+)")),
        # ab counts an answer whose length differs from the first one's as failed: a page
        # with a visitor's own CSRF token, compressed, differs by a byte or two. Not a failure.
        failed=int(number(r"^Failed requests:\s+(\d+)")) - int(number(r"Length: (\d+)")),
    )


# --- the pgbench baseline ----------------------------------------------------------------------


def pgbench(clients: int = 4, seconds: int = 10, scale: int = 1) -> dict[str, float]:
    """TPS of pgbench's select-only and simple-update scripts on a scratch database
    (`pgbench -i -s scale`, dropped afterwards). Empty when PostgreSQL or pgbench is missing."""
    admin_url = postgres_admin_url()
    binary = shutil.which("pgbench")
    if not admin_url or not binary:
        return {}
    from sqlalchemy.engine import make_url

    result: dict[str, float] = {}
    with scratch_database("postgresql", "pgbench") as url:
        parts = make_url(url)
        env = {**os.environ, "PGPASSWORD": parts.password or ""}
        conn = [
            "-h",
            parts.host or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
        ]
        subprocess.run(
            [binary, *conn, "-i", "-q", "-s", str(scale), parts.database],
            env=env,
            capture_output=True,
            check=True,
        )
        options = [binary, *conn, "-c", str(clients), "-j", "2"]
        for script in ("select-only", "simple-update"):
            run = subprocess.run(
                [*options, "-b", script, "-T", str(seconds), parts.database],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            found = re.search(r"tps = ([\d.]+)", run.stdout)
            result[script] = float(found.group(1)) if found else 0.0
    return result


# --- tables ------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[object]], right_from: int = 1) -> list[str]:
    """Markdown table lines; columns from `right_from` on are right-aligned (numbers)."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)
