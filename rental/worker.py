"""The worker process: drains the outbox every OUTBOX_POLL_SECONDS and runs the periodic jobs
that modules registered. Run with `flask --app wsgi outbox worker` or `python -m rental.worker`.

SIGTERM / SIGINT stop it gracefully: the batch in progress is finished, then it exits 0.
When the database goes away the worker logs it once, pauses the outbox and the jobs, probes
the database with a growing interval and resumes by itself when it answers again."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import Engine, text

from rental.shared.db import database_unreachable
from rental.shared.jobs import periodic_jobs
from rental.shared.outbox import OutboxProcessor

log = logging.getLogger("rental.worker")


class _SkipOverlapNotices(logging.Filter):
    """A drain that outlasts the poll interval (a backlog, a slow database probe) makes the
    scheduler skip the next run — by design (max_instances=1), so not worth a line each poll."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


# APScheduler logs every run at INFO; only its warnings (missed runs, errors) are worth reading.
logging.getLogger("apscheduler").setLevel(logging.WARNING)
logging.getLogger("apscheduler.scheduler").addFilter(_SkipOverlapNotices())

UNKNOWN_TYPES_CHECK_SECONDS = 60.0  # how often to look for messages no handler here knows
OUTAGE_MAX_RETRY_SECONDS = 30.0  # the longest wait between two probes of a lost database
OUTAGE_REMINDER_SECONDS = 300.0  # a lasting outage is mentioned again this often


class DatabaseOutage:
    """Whether the database is reachable, shared by the outbox drain and every job.

    The first failure logs one line and pauses all of them; the database is then probed
    (SELECT 1) after 1, 2, 4… poll intervals, at most every OUTAGE_MAX_RETRY_SECONDS; the
    first probe that succeeds logs one line and lets everything run again. `clock` (monotonic
    seconds) is there for tests."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        first_retry: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._first_retry = first_retry
        self._clock = clock
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.failed_probes = 0
        self._delay = first_retry
        self._next_probe = 0.0
        self._reminded = 0.0

    def may_run(self) -> bool:
        with self._lock:
            if self.down_since is None:
                return True
            now = self._clock()
            if now < self._next_probe:
                return False
            if self._probe():
                log.warning(
                    "database reachable again after %.1f s (%d failed probes); resuming",
                    now - self.down_since,
                    self.failed_probes,
                )
                self.down_since = None
                return True
            self.failed_probes += 1
            self._delay = min(self._delay * 2, max(OUTAGE_MAX_RETRY_SECONDS, self._first_retry))
            self._next_probe = now + self._delay
            if now - self._reminded >= OUTAGE_REMINDER_SECONDS:
                self._reminded = now
                log.warning(
                    "database still unavailable after %.0f s; next try in %.1f s",
                    now - self.down_since,
                    self._delay,
                )
            return False

    def failed(self, error: BaseException) -> bool:
        """Record `error` if it means the database is gone; False when it is another error."""
        if not database_unreachable(error, self._engine()):
            return False
        with self._lock:
            if self.down_since is None:
                now = self._clock()
                self.down_since = self._reminded = now
                self.failed_probes = 0
                self._delay = self._first_retry
                self._next_probe = now + self._delay
                log.error(
                    "database unavailable (%s); outbox and jobs paused, retrying with back-off",
                    _first_line(error),
                )
        return True

    def _probe(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True


class Worker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = threading.Event()
        self._shutdown: threading.Thread | None = None
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        )
        self.poll_seconds = float(app.config["OUTBOX_POLL_SECONDS"])
        self.outage = DatabaseOutage(self._engine, first_retry=self.poll_seconds)
        self._next_unknown_check = 0.0
        self._db_engine: Engine | None = None

    def _engine(self) -> Engine:
        if self._db_engine is None:
            from rental.shared.db import db

            with self.app.app_context():
                self._db_engine = db.engine
        return self._db_engine

    def _in_context(self, func: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            if self.stopping.is_set() or not self.outage.may_run():
                return
            with self.app.app_context():
                try:
                    func()
                except Exception as error:
                    if not self.outage.failed(error):
                        log.exception("job %s failed", getattr(func, "__name__", func))

        return run

    def drain(self) -> None:
        """Deliver batches until the outbox has nothing due, or until asked to stop."""
        processor: OutboxProcessor = self.app.extensions["outbox"]
        if time.monotonic() >= self._next_unknown_check:
            processor.report_unknown()
            self._next_unknown_check = time.monotonic() + UNKNOWN_TYPES_CHECK_SECONDS
        while not self.stopping.is_set():
            result = processor.drain_once()
            if result.claimed:
                log.info(
                    "outbox: %d claimed, %d processed, %d retrying, %d dead, %d handed back",
                    result.claimed,
                    result.processed,
                    result.failed,
                    result.dead,
                    result.released,
                )
            if result.claimed < processor.settings.batch_size and not result.released:
                return

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received signal %s: finishing the current batch, then stopping", signum)
        self.stopping.set()
        # shutdown(wait=True) waits for running jobs, i.e. the batch in progress.
        if self._shutdown is None:
            self._shutdown = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True})
            self._shutdown.start()

    def run(self) -> None:
        now = datetime.now(UTC)
        self.scheduler.add_job(
            self._in_context(self.drain),
            "interval",
            seconds=self.poll_seconds,
            id="outbox.drain",
            name="outbox.drain",
            next_run_time=now,
        )
        for job in periodic_jobs():
            self.scheduler.add_job(
                self._in_context(job.func),
                "interval",
                seconds=job.seconds,
                id=job.name,
                name=job.name,
                next_run_time=now,
            )
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info(
            "worker started: outbox every %ss, jobs: %s",
            self.poll_seconds,
            ", ".join(j.name for j in periodic_jobs()) or "none",
        )
        self.scheduler.start()
        if self._shutdown is not None:
            self._shutdown.join()
        log.info("worker stopped")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def run_worker(app: Flask) -> None:
    Worker(app).run()


def main() -> None:
    from rental import create_app
    from rental.config import CONFIG_ERROR_EXIT, ConfigError

    try:
        app = create_app()
    except ConfigError as error:
        print(f"RentKit cannot start: {error}", file=sys.stderr)
        raise SystemExit(CONFIG_ERROR_EXIT) from None
    run_worker(app)


if __name__ == "__main__":
    main()
