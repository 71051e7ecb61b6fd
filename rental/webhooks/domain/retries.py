"""When a failed delivery is tried again: exponential back-off with jitter (±20 %), for 24
hours after its first attempt; an attempt failing after that marks the delivery FAILED.

Schedule after the 1st, 2nd … failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h … —
the last retry is at the 24-hour mark at the latest. An endpoint whose attempts have ALL
failed for 24 hours (no 2xx since the first failure) is disabled at that moment (its head
delivery is then FAILED as well); its other deliveries wait until it is enabled again."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
JITTER = 0.2
RETRY_FOR = timedelta(hours=24)
DISABLE_AFTER = timedelta(hours=24)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after `attempts` failed attempts (1 = the first one failed)."""
    base = SCHEDULE[min(max(attempts, 1), len(SCHEDULE)) - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def next_attempt(
    first_attempt_at: datetime, attempts: int, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """When to try again; None: the 24 hours are over, the delivery has FAILED."""
    deadline = first_attempt_at + RETRY_FOR
    if now >= deadline:
        return None
    return min(now + backoff(attempts, rng), deadline)
