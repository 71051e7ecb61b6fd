"""The worker process: drains the outbox every OUTBOX_POLL_SECONDS and runs the periodic jobs
that modules registered. Run with `flask --app wsgi outbox worker` or `python -m rental.worker`.

SIGTERM / SIGINT stop it gracefully: the batch in progress is finished, then it exits 0."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from rental.shared.jobs import periodic_jobs
from rental.shared.outbox import OutboxProcessor

log = logging.getLogger("rental.worker")
# APScheduler logs every run at INFO; only its warnings (missed runs, errors) are worth reading.
logging.getLogger("apscheduler").setLevel(logging.WARNING)


class Worker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = threading.Event()
        self._shutdown: threading.Thread | None = None
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        )

    def _in_context(self, func: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            if self.stopping.is_set():
                return
            with self.app.app_context():
                try:
                    func()
                except Exception:
                    log.exception("job %s failed", getattr(func, "__name__", func))

        return run

    def drain(self) -> None:
        """Deliver batches until the outbox has nothing due, or until asked to stop."""
        processor: OutboxProcessor = self.app.extensions["outbox"]
        while not self.stopping.is_set():
            result = processor.drain_once()
            if result.claimed:
                log.info(
                    "outbox: %d claimed, %d processed, %d retrying, %d dead",
                    result.claimed,
                    result.processed,
                    result.failed,
                    result.dead,
                )
            if result.claimed < processor.settings.batch_size:
                return

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received signal %s: finishing the current batch, then stopping", signum)
        self.stopping.set()
        # shutdown(wait=True) waits for running jobs, i.e. the batch in progress.
        if self._shutdown is None:
            self._shutdown = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True})
            self._shutdown.start()

    def run(self) -> None:
        poll = float(self.app.config["OUTBOX_POLL_SECONDS"])
        now = datetime.now(UTC)
        self.scheduler.add_job(
            self._in_context(self.drain),
            "interval",
            seconds=poll,
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
            poll,
            ", ".join(j.name for j in periodic_jobs()) or "none",
        )
        self.scheduler.start()
        if self._shutdown is not None:
            self._shutdown.join()
        log.info("worker stopped")


def run_worker(app: Flask) -> None:
    Worker(app).run()


if __name__ == "__main__":
    from rental import create_app

    run_worker(create_app())
