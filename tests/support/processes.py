"""Start the real web (gunicorn) and worker processes for tests, and stop them cleanly."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            "OUTBOX_POLL_SECONDS": "0.5",
            "FLASK_DEBUG": "0",
        }
    )
    env.update(extra)
    return env


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()
        return self.popen.returncode


def web_command(
    port: int, workers: int = 2, extra_args: tuple[str, ...] = (), timeout: int = 60
) -> list[str]:
    """The Procfile's web command on 127.0.0.1:`port` (tests, benchmarks)."""
    return [
        str(BIN / "gunicorn"),
        "--no-control-socket",
        "--config",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        *extra_args,
        "wsgi:app",
    ]


def start_web(
    database_url: str,
    port: int,
    log_dir: Path,
    workers: int = 2,
    extra_args: tuple[str, ...] = (),
    **env: str,
) -> Proc:
    proc = Proc(
        web_command(port, workers, extra_args),
        process_env(database_url, **env),
        log_dir / f"web-{port}.log",
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", proc)
    except BaseException:
        proc.stop()  # a node that never answered must not outlive the test
        raise
    return proc


def start_worker(database_url: str, log_dir: Path, name: str = "worker", **env: str) -> Proc:
    return Proc(
        [str(BIN / "python"), "-m", "rental.worker"],
        process_env(database_url, **env),
        log_dir / f"{name}.log",
    )


def kill_worker_at_gate(
    gate: Path, database_url: str, log_dir: Path, name: str, **env: str
) -> Proc:
    """Start a worker whose probe handler blocks on `gate` (an exclusive lock held here),
    SIGKILL it once the handler has written `<gate>.started`, i.e. in the middle of its
    delivery, and return the dead process."""
    with open(gate) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doomed = start_worker(database_url, log_dir, name=name, **env)
        try:
            wait_until(
                Path(f"{gate}.started").exists, timeout=60, message=f"{name} never reached the gate"
            )
        finally:
            doomed.popen.send_signal(signal.SIGKILL)
            doomed.popen.wait(timeout=30)
            doomed.stop()
        fcntl.flock(lock, fcntl.LOCK_UN)
    return doomed


def wait_for_http(url: str, proc: Proc, timeout: float = 90) -> None:
    """A deadline, not a timing check: a loaded 2-core CI machine can take a while to start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"process exited early:\n{proc.log()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s:\n{proc.log()}")


def wait_until(predicate, timeout: float = 30, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")
