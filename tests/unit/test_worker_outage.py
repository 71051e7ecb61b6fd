"""The worker's schedule during a database outage (`DatabaseOutage`), on a clock the test moves
and a database stand-in the test switches off and on: probes after 1, 2, 4… poll intervals,
at most every OUTAGE_MAX_RETRY_SECONDS, one line when it goes, one when it comes back."""

from __future__ import annotations

import itertools
import logging

import pytest
from sqlalchemy.exc import OperationalError

from rental.worker import OUTAGE_MAX_RETRY_SECONDS, OUTAGE_REMINDER_SECONDS, DatabaseOutage
from tests.support.throttle import FakeClock

POLL = 0.5  # seconds; the fake clock moves in quarters of it, all exact in binary
STEP = POLL / 2


class FakeDatabase:
    """Stands in for the engine: connecting fails while `down`; each attempt is recorded."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.down = False
        self.attempts: list[float] = []

    def connect(self) -> FakeDatabase:
        self.attempts.append(self.clock())
        if self.down:
            raise lost_connection()
        return self

    def __enter__(self) -> FakeDatabase:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def execute(self, _statement) -> None:
        return None


def lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", None, ConnectionRefusedError("connection refused"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def database(clock: FakeClock) -> FakeDatabase:
    return FakeDatabase(clock)


@pytest.fixture
def outage(database: FakeDatabase, clock: FakeClock) -> DatabaseOutage:
    return DatabaseOutage(lambda: database, first_retry=POLL, clock=clock)


def poll_until(outage: DatabaseOutage, clock: FakeClock, seconds: float) -> list[bool]:
    """Ask `may_run` every STEP, as the scheduler's jobs do, for `seconds` of fake time."""
    answers = []
    for _ in range(round(seconds / STEP)):
        clock.advance(STEP)
        answers.append(outage.may_run())
    return answers


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rental.worker"]


def test_probes_back_off_from_one_poll_interval_to_the_cap(outage, database, clock, caplog):
    caplog.set_level(logging.INFO, logger="rental.worker")
    assert outage.may_run()  # all well: no probe
    assert database.attempts == []

    database.down = True
    start = clock()
    assert outage.failed(lost_connection())  # confirmed by one failed connection
    assert database.attempts == [start]
    answers = poll_until(outage, clock, 200)
    assert not any(answers)  # everything paused

    probes = [t - start for t in database.attempts[1:]]
    gaps = [b - a for a, b in itertools.pairwise([0.0, *probes])]
    cap = OUTAGE_MAX_RETRY_SECONDS
    assert gaps[:7] == [POLL, 2 * POLL, 4 * POLL, 8 * POLL, 16 * POLL, 32 * POLL, cap]
    assert set(gaps[6:]) == {cap}
    assert outage.failed_probes == len(probes)
    assert lines(caplog) == [
        "database unavailable (OperationalError: (builtins.ConnectionRefusedError) "
        "connection refused); outbox and jobs paused, retrying with back-off"
    ]

    # The database is back: the next probe finds it, one line says so, everything runs again.
    database.down = False
    caplog.clear()
    next_probe = probes[-1] + cap
    answers = poll_until(outage, clock, next_probe - (clock() - start))
    assert answers[:-1] == [False] * (len(answers) - 1) and answers[-1] is True
    assert lines(caplog) == [
        f"database reachable again after {next_probe:.1f} s ({len(probes)} failed probes); resuming"
    ]
    probed = len(database.attempts)
    assert all(poll_until(outage, clock, 10))  # no more probes once it is back
    assert len(database.attempts) == probed and len(lines(caplog)) == 1


def test_a_lasting_outage_is_mentioned_again_every_few_minutes(outage, database, clock, caplog):
    caplog.set_level(logging.INFO, logger="rental.worker")
    database.down = True
    outage.failed(lost_connection())
    poll_until(outage, clock, 2 * OUTAGE_REMINDER_SECONDS + 10)
    reminders = [line for line in lines(caplog) if line.startswith("database still unavailable")]
    assert len(reminders) == 2
    assert reminders[0].endswith(f"next try in {OUTAGE_MAX_RETRY_SECONDS:.1f} s")
    assert len([line for line in lines(caplog) if "database unavailable" in line]) == 1


def test_a_second_failure_during_the_outage_changes_nothing(outage, database, clock, caplog):
    caplog.set_level(logging.INFO, logger="rental.worker")
    database.down = True
    outage.failed(lost_connection())
    poll_until(outage, clock, 4 * POLL)
    down_since, probes = outage.down_since, outage.failed_probes
    assert outage.failed(lost_connection())  # another job hit it too
    assert (outage.down_since, outage.failed_probes) == (down_since, probes)
    assert len(lines(caplog)) == 1


def test_an_error_of_a_working_database_is_not_an_outage(outage, database, clock):
    assert not outage.failed(lost_connection())  # it connects: a failing statement, not a loss
    assert not outage.failed(ValueError("a bug"))
    assert outage.down_since is None and outage.may_run()


def test_a_poll_interval_above_the_cap_is_kept(database, clock):
    slow = 4 * OUTAGE_MAX_RETRY_SECONDS
    outage = DatabaseOutage(lambda: database, first_retry=slow, clock=clock)
    database.down = True
    start = clock()
    outage.failed(lost_connection())
    for _ in range(3):
        clock.advance(slow)
        assert not outage.may_run()
    assert [t - start for t in database.attempts] == [0.0, slow, 2 * slow, 3 * slow]
