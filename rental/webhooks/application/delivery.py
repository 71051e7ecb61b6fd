"""The worker's delivery job. Every few seconds (`webhooks.deliver`) it looks for active
endpoints whose oldest pending delivery is due and hands each to a thread of its own
(WEBHOOKS_THREADS at most), then returns at once — so a slow endpoint (up to the 10-second
timeout per attempt) never holds up another endpoint, and nothing of this runs in a web
request or in a booking's transaction.

One worker per endpoint: a thread first CLAIMS the endpoint (a lease on its row, taken with
FOR UPDATE SKIP LOCKED on PostgreSQL), so two worker processes never send to the same endpoint
at once and never send a delivery twice. Per endpoint the deliveries go in event order: only
the oldest pending one is tried; while it waits for a retry, the later ones wait behind it.

A send happens outside any transaction; its result is recorded afterwards in a short one.
Success: SUCCEEDED, and the endpoint is no longer failing. Failure: the next attempt after the
back-off (domain/retries.py) — or FAILED once 24 hours have passed since the first attempt;
an endpoint failing for 24 hours without a single success is disabled, WebhookEndpointDisabled
is published (Notifications mails the shop) and the admin pages show a banner."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from flask import Flask, current_app

from rental.contracts.webhooks import WebhookEndpointDisabled
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.webhooks.application import runtime
from rental.webhooks.domain import retries
from rental.webhooks.domain.addresses import parse_url
from rental.webhooks.domain.endpoints import AUTO_DISABLED, FAILED, SUCCEEDED
from rental.webhooks.domain.signing import headers
from rental.webhooks.infrastructure import store
from rental.webhooks.infrastructure.http import TIMEOUT_SECONDS

log = logging.getLogger("rental.webhooks")

THREADS = 8
# How long a claim holds an endpoint: enough for a few attempts at the timeout; extended
# before each further attempt, handed back when the thread is done.
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3 + 30)
PER_CLAIM = 20  # deliveries sent in one claim at most, then the endpoint is handed back
RUN_EVERY_SECONDS = 2.0


class Dispatcher:
    """One per app (app.extensions["webhooks.dispatcher"]): the thread pool and the endpoints
    this process is sending to right now."""

    def __init__(self, app: Flask, threads: int = THREADS) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhooks")
        self._busy: dict[str, Future] = {}
        self._lock = threading.Lock()

    def tick(self) -> dict[str, Future]:
        """Start a thread for every due endpoint this process is not already sending to; the
        futures started now, by endpoint (tests wait on them)."""
        now = runtime.now()
        due = store.due_endpoints(db.session(), now)
        db.session.rollback()  # end the read
        started: dict[str, Future] = {}
        with self._lock:
            for endpoint_id in due:
                if endpoint_id in self._busy:
                    continue
                future = self.pool.submit(self._run, endpoint_id)
                self._busy[endpoint_id] = started[endpoint_id] = future
                future.add_done_callback(lambda _f, key=endpoint_id: self._done(key))
        return started

    def _done(self, endpoint_id: str) -> None:
        with self._lock:
            self._busy.pop(endpoint_id, None)

    def _run(self, endpoint_id: str) -> int:
        with self.app.app_context():
            try:
                return send_endpoint(endpoint_id)
            except Exception:
                log.exception("webhooks: sending to endpoint %s failed", endpoint_id)
                raise
            finally:
                db.session.remove()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)


def dispatcher() -> Dispatcher:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("webhooks.dispatcher")
    if found is None:
        threads = int(app.config.get("WEBHOOKS_THREADS", THREADS))
        found = app.extensions["webhooks.dispatcher"] = Dispatcher(app, threads)
    return found


def deliver_job() -> None:
    """The worker's periodic job."""
    dispatcher().tick()


def send_endpoint(endpoint_id: str) -> int:
    """Claim the endpoint and send its due deliveries in order; how many were attempted.
    Nothing when another worker holds the endpoint."""
    now = runtime.now()
    with unit_of_work() as session:
        token = store.claim_endpoint(session, endpoint_id, now, now + LEASE)
    if token is None:
        return 0
    attempted = 0
    try:
        while attempted < PER_CLAIM:
            outcome = _attempt_head(endpoint_id, token)
            if outcome is None:
                break
            attempted += 1
            if outcome != SUCCEEDED:
                break  # the head waits for its retry; nothing behind it goes first
    finally:
        with unit_of_work() as session:
            store.release(session, endpoint_id, token)
    return attempted


def _attempt_head(endpoint_id: str, token: str) -> str | None:
    """Send the endpoint's oldest pending delivery if it is due; its new status (None: nothing
    was due, or the endpoint is no longer ours or no longer active)."""
    now = runtime.now()
    with unit_of_work() as session:
        endpoint = store.holds(session, endpoint_id, token)
        if endpoint is None or not endpoint.active:
            return None
        head = store.head_delivery(session, endpoint_id)
        if head is None or (head.next_attempt_at is not None and head.next_attempt_at > now):
            return None
        endpoint.lease_until = now + LEASE  # extended for this attempt
        delivery_id, message_id, body = head.id, head.message_id, head.body
        url, secret = endpoint.url, endpoint.secret
    # The real time, not the injected clock: receivers compare it with theirs (replay window).
    timestamp = int(time.time())
    result = runtime.sender().send(url, headers(secret, message_id, timestamp, body), body)
    return _record(endpoint_id, token, delivery_id, result)


def _record(endpoint_id: str, token: str, delivery_id: int, result) -> str:
    now = runtime.now()
    with unit_of_work() as session:
        row = store.delivery_row(session, delivery_id, lock=True)
        endpoint = store.holds(session, endpoint_id, token)
        if row is None or endpoint is None:
            return FAILED  # deleted meanwhile: stop
        row.attempts += 1
        row.first_attempt_at = row.first_attempt_at or now
        row.last_attempt_at = now
        row.response_code = result.status
        row.duration_ms = result.duration_ms
        row.error = result.error[:500] if result.error else None
        if result.ok:
            row.status, row.next_attempt_at = SUCCEEDED, None
            endpoint.failing_since = None
            return SUCCEEDED
        endpoint.failing_since = endpoint.failing_since or now
        retry = retries.next_attempt(row.first_attempt_at, row.attempts, now, runtime.rng())
        if retry is None:
            row.status, row.next_attempt_at = FAILED, None
        else:
            row.next_attempt_at = retry
        if now - endpoint.failing_since >= retries.DISABLE_AFTER:
            _disable(endpoint, now)
            if retry is not None:  # its last attempt: it is failed with the endpoint
                row.status, row.next_attempt_at = FAILED, None
        return row.status


def _disable(endpoint, now) -> None:
    hours = int(retries.DISABLE_AFTER.total_seconds() // 3600)
    reason = f"{AUTO_DISABLED}: every attempt failed for {hours} hours."
    endpoint.active = False
    endpoint.disabled_at, endpoint.disabled_reason = now, reason
    endpoint.updated_at = now
    log.warning("webhooks: endpoint %s disabled after %s h of failures", endpoint.id, hours)
    outbox.record(
        WebhookEndpointDisabled(
            endpoint_id=endpoint.id,
            host=parse_url(endpoint.url).host,
            reason=reason,
            failing_since=endpoint.failing_since,
            disabled_at=now,
        )
    )
