"""The worker process: drains the outbox and runs the periodic jobs that modules registered.
Run with `flask --app wsgi outbox worker` or `python -m rental.worker`.

The outbox is drained by a thread of its own: at once when woken, else every
OUTBOX_POLL_SECONDS (an idle poll is one indexed read). On PostgreSQL a listener thread
LISTENs on a dedicated connection for the NOTIFY that each transaction writing a message sends
(a statement trigger on outbox_messages, migration 0031), and wakes it; polling stays the
fallback. When the listening connection is lost the worker polls, and listens again once a
drain has reached the database.

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
from rental.shared.outbox import NOTIFY_CHANNEL, OutboxProcessor

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
OUTAGE_FIRST_RETRY_SECONDS = 1.0  # a lost database is first probed after at most this long
LISTEN_RETRY_SECONDS = 1.0  # the least time between two attempts to listen
LISTEN_CHECK_SECONDS = 1.0  # how often the listener looks up from its socket to see if stopping


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
        # Probed on the poll's schedule, but no later than a second on: with NOTIFY the poll
        # interval may be long.
        self.outage = DatabaseOutage(
            self._engine, first_retry=min(self.poll_seconds, OUTAGE_FIRST_RETRY_SECONDS)
        )
        self._next_unknown_check = 0.0
        self._db_engine: Engine | None = None
        self.wake = threading.Event()  # set by a NOTIFY (or a stop): drain now
        self._reached = threading.Event()  # a drain reached the database: (re)connect to listen
        self._outbox_thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None

    def _engine(self) -> Engine:
        if self._db_engine is None:
            from rental.shared.db import db

            with self.app.app_context():
                self._db_engine = db.engine
        return self._db_engine

    def _in_context(self, func: Callable[[], object]) -> Callable[[], bool]:
        """`func` in an app context, unless stopping or the database is known to be down;
        True when it ran without losing the database."""

        def run() -> bool:
            if self.stopping.is_set() or not self.outage.may_run():
                return False
            with self.app.app_context():
                try:
                    func()
                except Exception as error:
                    if not self.outage.failed(error):
                        log.exception("job %s failed", getattr(func, "__name__", func))
                    return False
            return True

        return run

    def drain(self, woken: bool = False) -> None:
        """Deliver batches until the outbox has nothing due, or until asked to stop. A poll
        first looks with one read (no write lock on SQLite); a NOTIFY claims at once."""
        processor: OutboxProcessor = self.app.extensions["outbox"]
        if time.monotonic() >= self._next_unknown_check:
            processor.report_unknown()
            self._next_unknown_check = time.monotonic() + UNKNOWN_TYPES_CHECK_SECONDS
        if not woken and not processor.has_due():
            return
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

    def drain_notified(self) -> None:
        self.drain(woken=True)

    def _drain_loop(self) -> None:
        """Drain, then wait for a NOTIFY or the poll interval, until stopping. A wake-up that
        comes while draining is kept (the event stays set), so none is lost."""
        polled, notified = self._in_context(self.drain), self._in_context(self.drain_notified)
        woken = False
        while not self.stopping.is_set():
            self.wake.clear()
            if (notified if woken else polled)():
                self._reached.set()
            down = self.outage.down_since is not None
            # During an outage look in as often as the back-off may want to probe.
            woken = self.wake.wait(
                min(self.poll_seconds, OUTAGE_FIRST_RETRY_SECONDS) if down else self.poll_seconds
            )

    def _listen(self) -> None:
        """PostgreSQL: wake the drain on every NOTIFY of the outbox channel. On a lost
        connection fall back to polling, and listen again once a drain has reached the
        database (so an outage is probed by the drain's back-off alone)."""
        engine = self._engine()
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        # Fail fast on an unreachable host; TCP keepalives notice a peer that vanished
        # silently (a listening connection sends nothing of its own).
        kwargs = {
            "connect_timeout": 10,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            **kwargs,
        }
        import psycopg

        warned = False
        while not self.stopping.is_set():
            self._reached.wait()
            if self.stopping.is_set():
                return
            try:
                with psycopg.connect(*args, **kwargs, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    if warned:
                        log.warning("listening for outbox notifications again")
                    warned = False
                    self.wake.set()  # anything committed while nobody was listening
                    while not self.stopping.is_set():
                        for _ in connection.notifies(timeout=LISTEN_CHECK_SECONDS, stop_after=1):
                            self.wake.set()
            except Exception as error:
                self._reached.clear()
                self.wake.set()  # let the drain find out whether the database is gone
                if not warned and not self.stopping.is_set():
                    log.warning(
                        "outbox notifications lost (%s); polling every %ss until the database "
                        "answers again",
                        _first_line(error),
                        self.poll_seconds,
                    )
                    warned = True
                # Not in a tight loop if the database answers the drain but refuses this
                # connection (too many clients, say).
                self.stopping.wait(LISTEN_RETRY_SECONDS)

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received signal %s: finishing the current batch, then stopping", signum)
        self.stopping.set()
        self.wake.set()
        self._reached.set()
        # shutdown(wait=True) waits for running jobs; run() then waits for the outbox thread,
        # i.e. the batch in progress.
        if self._shutdown is None:
            self._shutdown = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True})
            self._shutdown.start()

    def run(self) -> None:
        now = datetime.now(UTC)
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
        self._outbox_thread = threading.Thread(target=self._drain_loop, name="outbox-drain")
        self._outbox_thread.start()
        listening = self._engine().dialect.name == "postgresql"
        if listening:
            self._listener = threading.Thread(
                target=self._listen, name="outbox-listen", daemon=True
            )
            self._listener.start()
        log.info(
            "worker started: outbox every %ss%s, jobs: %s",
            self.poll_seconds,
            " and on NOTIFY" if listening else "",
            ", ".join(j.name for j in periodic_jobs()) or "none",
        )
        self.scheduler.start()
        if self._shutdown is not None:
            self._shutdown.join()
        self._outbox_thread.join()
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
