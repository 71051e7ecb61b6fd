"""Requests per second of the customer's pages against the trivial /healthz, in one run.

    .venv/bin/python benchmarks/pages.py [--quick] [--backend sqlite|postgresql]
        [--workers 5] [--concurrency 16] [--seconds 10] [--journey-seconds 20]

Per backend (SQLite always; PostgreSQL when RENTAL_TEST_POSTGRES_URL is set or the local
server answers): a scratch database with the demo data, gunicorn (the Procfile's settings,
`--workers` sync workers), then from separate processes `ab -c 16` on /healthz, /catalog, a
type page and the availability fragment the type page loads by htmx, and locust running the
whole booking journey (benchmarks/_journey.py) with 16 users; /healthz again at the end, and
the ratios are to the mean of the two /healthz runs. Every `ab` request says
`Accept-Encoding: gzip, deflate, br`, as browsers do (pages go out compressed; /healthz's JSON
is never compressed, so the baseline is the same either way). A second table counts the SQL
statements each request of the journey sends (in-process, the Flask test client over the
same database, after one warm-up journey)."""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the project root: `benchmarks.…`, `rental`, `tests`

from benchmarks._journey import HTMX, TYPE_LINK, FlaskClient, fragment_query, run_journey  # noqa: E402
from benchmarks._support import (  # noqa: E402
    BENCH_ENV,
    VENV_BIN,
    Load,
    ab,
    backends,
    gunicorn,
    scratch_database,
    seed_demo,
    table,
)

TARGET_PAGE_RATIO = 0.6  # availability fragment and type page, × /healthz req/s
TARGET_CATALOG_P95_MS = 50
TARGET_JOURNEY_RATIO = 0.15  # journeys/s × /healthz req/s
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}  # what every browser sends


@dataclass(frozen=True)
class Journeys:
    per_second: float
    p50: float
    p95: float
    attempted: int
    confirmed: int
    server_errors: int  # 5xx and connection failures among the journey's requests
    stops: dict[str, int]


def statement_counts(database_url: str) -> list[tuple[str, int]]:
    """SQL statements per request of one booking journey (the second one: the first warms
    the process as gunicorn's workers are warm). Counted as tests/support/statements.py
    counts them (transaction control left out); no app context is held around the requests,
    so each request has its own, as under gunicorn."""
    from sqlalchemy import event

    from rental import create_app
    from rental.extensions import db
    from tests.support.statements import _CONTROL

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **BENCH_ENV})
    with app.app_context():
        engine = db.engine
    rng = random.Random(15)
    run_journey(FlaskClient(app.test_client()), rng)
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if not _CONTROL.match(statement):
            seen.append(statement)

    counts: list[tuple[str, int]] = []

    def after(method: str, path: str) -> None:
        counts.append((f"{method} {_shape(path)}", len(seen) - sum(n for _, n in counts)))

    client = FlaskClient(app.test_client(), after)
    event.listen(engine, "before_cursor_execute", before)
    try:
        client.get("/healthz")
        outcome = run_journey(client, rng)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        engine.dispose()
    if outcome.result != "confirmed":
        counts.append((f"(journey stopped: {outcome.result})", 0))
    return counts


def _shape(path: str) -> str:
    """/book/review/RK-ABC234/<token> → /book/review/<reference>/<token>, and so on."""
    parts = path.strip("/").split("/")
    if parts[0] == "catalog" and len(parts) == 2:
        return "/catalog/<slug> (type page)"
    if parts[0] == "book" and parts[1] in ("review", "confirmed"):
        return f"/book/{parts[1]}/<reference>/<token>"
    if parts[0] == "book":
        tail = "/details" if parts[-1] == "details" else " (availability fragment)"
        return f"/book/<slug>{tail}"
    return path


def journeys(url: str, users: int, seconds: int) -> Journeys:
    """locust, headless, in its own process."""
    with tempfile.TemporaryDirectory(prefix="rental-locust-") as folder:
        prefix = f"{folder}/run"
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--loglevel",
                "ERROR",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{seconds}s",
                "--host",
                url,
                "--csv",
                prefix,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 120,
        )
        with open(f"{prefix}_stats.csv", newline="") as file:
            rows = list(csv.DictReader(file))
    journey_rows = [r for r in rows if r["Type"] == "JOURNEY"]
    done = next((r for r in journey_rows if r["Name"] == "confirmed"), None)
    attempted = sum(int(r["Request Count"]) for r in journey_rows)
    confirmed = int(done["Request Count"]) - int(done["Failure Count"]) if done else 0
    errors = sum(
        int(r["Failure Count"]) for r in rows if r["Type"] not in ("JOURNEY", "") and r["Name"]
    )
    errors -= sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    stops = {r["Name"]: int(r["Request Count"]) for r in journey_rows if r is not done}
    return Journeys(
        per_second=float(done["Requests/s"]) if done else 0.0,
        p50=float(done["50%"]) if done else 0.0,
        p95=float(done["95%"]) if done else 0.0,
        attempted=attempted,
        confirmed=confirmed,
        server_errors=max(errors, 0),
        stops=stops,
    )


def first_type_slug(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url + "/catalog") as response:
        found = TYPE_LINK.search(response.read().decode())
    assert found, "the demo catalog shows no type"
    return found.group(1)


def bench(backend: str, args: argparse.Namespace) -> tuple[list[list[object]], list[list[object]]]:
    with scratch_database(backend, "http") as database_url:
        seed_demo(database_url)
        counts = statement_counts(database_url)
        with gunicorn(database_url, workers=args.workers) as server:
            slug = first_type_slug(server.url)
            pages = {
                "/healthz": (server.url + "/healthz", BROWSER),
                "/catalog": (server.url + "/catalog", BROWSER),
                f"type page /catalog/{slug}": (f"{server.url}/catalog/{slug}", BROWSER),
                "availability fragment (htmx)": (
                    f"{server.url}/book/{slug}?{urlencode(fragment_query(random.Random(1)))}",
                    {**HTMX, **BROWSER},
                ),
            }
            loads: dict[str, Load] = {}
            for name, (url, headers) in pages.items():
                ab(url, args.concurrency, 1, headers)  # warm every worker
                loads[name] = ab(url, args.concurrency, args.seconds, headers)
            trip = journeys(server.url, args.concurrency, args.journey_seconds)
            loads["/healthz (again, after)"] = ab(
                server.url + "/healthz", args.concurrency, args.seconds, BROWSER
            )
    healthz = (loads["/healthz"].rps + loads["/healthz (again, after)"].rps) / 2
    rows: list[list[object]] = []
    for name, load in loads.items():
        ratio = load.rps / healthz if healthz else 0.0
        target = ""
        if name.startswith(("type page", "availability")):
            target = _verdict(ratio >= TARGET_PAGE_RATIO, f"≥ {TARGET_PAGE_RATIO}×")
        elif name == "/catalog":
            target = _verdict(load.p95 <= TARGET_CATALOG_P95_MS, f"p95 ≤ {TARGET_CATALOG_P95_MS}")
        bad = load.non_2xx + load.failed
        rows.append([backend, name, load.rps, load.p50, load.p95, bad, f"{ratio:.2f}", target])
    journey_ratio = trip.per_second / healthz if healthz else 0.0
    stopped = ", ".join(f"{k}: {v}" for k, v in trip.stops.items()) or "none stopped"
    rows.append(
        [
            backend,
            f"booking journey, 8 requests ({trip.confirmed} confirmed; {stopped})",
            trip.per_second,
            trip.p50,
            trip.p95,
            trip.server_errors,
            f"{journey_ratio:.3f}",
            _verdict(journey_ratio >= TARGET_JOURNEY_RATIO, f"≥ {TARGET_JOURNEY_RATIO}×"),
        ]
    )
    return rows, [[backend, name, n] for name, n in counts]


def _verdict(ok: bool, target: str) -> str:
    return f"{target} {'met' if ok else 'NOT met'}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per page, 8 s of journeys")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=16, help="ab -c and locust users")
    parser.add_argument("--seconds", type=int, default=10, help="ab -t per page")
    parser.add_argument("--journey-seconds", type=int, default=20, help="locust -t")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.journey_seconds = 3, 8
    return args


def main(argv: list[str] | None = None) -> list[str]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    loads: list[list[object]] = []
    counts: list[list[object]] = []
    for backend in backends(args.backend):
        rows, statements = bench(backend, args)
        loads += rows
        counts += statements
    lines = [
        f"### http: the customer's pages against /healthz (gunicorn {args.workers} sync "
        f"workers; ab -c {args.concurrency} -t {args.seconds}; journeys: locust "
        f"-u {args.concurrency} -t {args.journey_seconds}s)",
        "",
        *table(
            ["backend", "request", "req/s", "p50 ms", "p95 ms", "non-2xx", "× /healthz", "target"],
            loads,
            right_from=2,
        ),
        "",
        "SQL statements per request (one journey, in-process, after a warm-up journey):",
        "",
        *table(["backend", "request", "statements"], counts, right_from=2),
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
