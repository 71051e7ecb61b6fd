"""Run every benchmark, with the baselines, and append the tables to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...] [--no-baseline]
                                           [--workers 5] [--no-save]

`make bench` runs it. Each benchmark is a module here exposing `main(argv) -> list[str]` (the
markdown table lines); it gets `--quick` when this did. Modules not (yet) in the checkout
are skipped with a line saying so. The baselines run in the same run: `/healthz` req/s on the
same gunicorn configuration (`ab -c 16`), and pgbench's select-only and simple-update TPS
(`-c 4 -T 10`) on a scratch PostgreSQL database. PostgreSQL is RENTAL_TEST_POSTGRES_URL,
else the local server (postgres@127.0.0.1:5432) when it answers."""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import subprocess
import sys
import time
import traceback
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the project root: `benchmarks.…`, `rental`, `tests`

from benchmarks import _support  # noqa: E402

# In this order; outbox*.py modules found next to them are run too.
NAMES = ["pages", "availability", "outbox", "assets", "scaleout"]
RESULTS = HERE / "RESULTS.md"


def benchmark_names() -> list[str]:
    extra = sorted(p.stem for p in HERE.glob("outbox*.py") if p.stem not in NAMES)
    return NAMES + extra


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def header(args: argparse.Namespace) -> list[str]:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    postgres = _support.postgres_admin_url()
    where = "SQLite" + (" and PostgreSQL" if postgres else " only (no PostgreSQL found)")
    return [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · commit {git_commit()} · "
        f"{os.cpu_count()} CPUs · load average {load}",
        "",
        f"`run_all.py {' '.join(args.argv)}`".replace(" `", "`") + f" · {where}",
        "",
    ]


def baseline(args: argparse.Namespace) -> list[str]:
    """/healthz on the benchmarks' gunicorn configuration, and pgbench."""
    seconds = 3 if args.quick else 10
    rows: list[list[object]] = []
    with _support.scratch_database("sqlite", "baseline") as url:
        _support.seed_demo(url, reservations=False)
        with _support.gunicorn(url, workers=args.workers) as server:
            _support.ab(server.url + "/healthz", 16, 1)
            load = _support.ab(server.url + "/healthz", 16, seconds)
    rows.append(
        [
            f"/healthz, gunicorn {args.workers} workers, ab -c 16 -t {seconds}",
            "req/s",
            load.rps,
        ]
    )
    pg_seconds = 3 if args.quick else args.pgbench_seconds
    tps = _support.pgbench(clients=args.pgbench_clients, seconds=pg_seconds)
    for script, value in tps.items():
        what = f"pgbench -b {script} -c {args.pgbench_clients} -T {pg_seconds}"
        rows.append([what, "TPS", value])
    if not tps:
        rows.append(["pgbench", "skipped (no PostgreSQL or no pgbench)", ""])
    return ["### Baseline", "", *_support.table(["what", "unit", "value"], rows, right_from=2)]


def run_one(name: str, quick: bool) -> list[str]:
    if not (HERE / f"{name}.py").exists():
        return [f"### {name}", "", f"`benchmarks/{name}.py` is not in this checkout: skipped."]
    module = importlib.import_module(f"benchmarks.{name}")
    main = getattr(module, "main", None)
    if main is None:
        return [f"### {name}", "", f"`benchmarks/{name}.py` has no `main`: skipped."]
    takes_argv = bool(inspect.signature(main).parameters)
    printed = io.StringIO()
    started = time.monotonic()
    argv = ["--quick"] if quick and takes_argv else []
    saved, sys.argv = sys.argv, [str(HERE / f"{name}.py"), *argv]  # for a main() reading it
    try:
        with redirect_stdout(printed):
            lines = main(argv) if takes_argv else main()
    except SystemExit as exit_:
        if exit_.code in (0, None):
            lines = None
        else:
            return [f"### {name}", "", f"`{name}` stopped (exit {exit_.code}): see its output."]
    except Exception:
        traceback.print_exc()
        return [f"### {name}", "", f"`{name}` failed: {traceback.format_exc(limit=1).strip()}"]
    finally:
        sys.argv = saved
    took = f"_{name}: {time.monotonic() - started:.0f} s_"
    if not isinstance(lines, list):
        # An older main() that prints its table instead of returning it.
        lines = [line for line in printed.getvalue().splitlines() if line.startswith(("|", "#"))]
        if not lines:
            lines = [f"`{name}` returned no table lines."]
    if lines and not lines[0].startswith("#"):
        lines = [f"### {name}", "", *lines]
    return [*lines, "", took]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these")
    parser.add_argument("--quick", action="store_true", help="short runs, passed on")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (baseline)")
    parser.add_argument("--pgbench-clients", type=int, default=4)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    args.argv = argv
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = args.only or benchmark_names()
    unknown = [n for n in names if n not in benchmark_names()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {benchmark_names()}")
        return 2
    lines = header(args)
    print("\n".join(lines), flush=True)
    sections = [] if args.no_baseline else [("baseline", lambda: baseline(args))]
    sections += [(name, lambda name=name: run_one(name, args.quick)) for name in names]
    for _name, run in sections:
        part = [*run(), ""]
        print("\n".join(part), flush=True)
        lines += part
    if not args.no_save:
        with RESULTS.open("a") as file:
            file.write("\n".join(lines) + "\n")
        print(f"(appended to {RESULTS.relative_to(HERE.parent)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
