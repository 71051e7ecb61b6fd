"""A PostgreSQL cluster that belongs to one test (initdb on a free port in a temporary
directory), so the test may stop and start it. The shared server is never touched."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.processes import free_port

# The skip reason of every test that needs a private cluster: what is missing and how to get it.
NO_SERVER_BINARIES = (
    "needs the PostgreSQL server binaries (initdb and pg_ctl) for a private cluster, found "
    "neither under /usr/lib/postgresql/*/bin nor on PATH: install them with "
    "`apt-get install postgresql` (Debian/Ubuntu: /usr/lib/postgresql/<version>/bin/initdb; "
    "it also creates the `postgres` user the cluster runs as when the tests run as root), "
    "or put a directory holding initdb and pg_ctl on PATH"
)


def postgres_bin() -> Path | None:
    """The newest Debian-style /usr/lib/postgresql/<version>/bin, else the directory of an
    initdb on PATH (with pg_ctl next to it)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "pg_ctl").exists():
        return Path(initdb).parent
    return None


def _version(path: str) -> tuple[int, ...]:
    # "/usr/lib/postgresql/15/bin/initdb" -> (15,): 9.6 < 15, not as text
    part = Path(path).parent.parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit())


class PrivatePostgres:
    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None, NO_SERVER_BINARIES
        self.bin = bin_dir
        # Under /tmp rather than pytest's tmp_path: the server runs as `postgres` when the tests
        # run as root, and pytest's directories are private to their owner.
        self.dir = Path(tempfile.mkdtemp(prefix="rentkit-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode:
            log = self.dir / "server.log"
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
                + (log.read_text() if log.exists() else "")
            )

    def init(self) -> PrivatePostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as when a database server goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def remove(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
