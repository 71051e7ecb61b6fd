"""rental.shared.request_cache: a read runs once per request, a change forgets it, and
nothing outlives the request (nor is anything kept outside one)."""

from __future__ import annotations

import pytest
from flask import Flask

from rental.shared.request_cache import cached, forget, remember


def counting_loader():
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    return load, calls


def test_a_read_runs_once_per_request_until_forgotten():
    app = Flask(__name__)
    load, calls = counting_loader()
    with app.test_request_context("/"):
        assert cached("types", "a", load) == 1
        assert cached("types", "a", load) == 1
        assert cached("types", "b", load) == 2  # another key is another read
        forget("types")  # e.g. staff changed a type in this request
        assert cached("types", "a", load) == 3
        remember("types", "c", 42)
        assert cached("types", "c", load) == 42
    with app.test_request_context("/"):  # the next request starts empty
        assert cached("types", "a", load) == 4
    assert len(calls) == 4


def test_the_requests_of_one_app_context_do_not_share_reads():
    app = Flask(__name__)
    load, calls = counting_loader()
    with app.app_context():  # as the test client's requests inside a test's app context
        with app.test_request_context("/"):
            cached("types", "a", load)
        with app.test_request_context("/"):
            cached("types", "a", load)
    assert len(calls) == 2


def test_outside_a_request_every_call_reads():
    app = Flask(__name__)
    load, calls = counting_loader()
    with app.app_context():  # the worker, the CLI
        cached("types", "a", load)
        cached("types", "a", load)
    assert len(calls) == 2


def test_a_failed_read_is_not_remembered():
    app = Flask(__name__)
    attempts: list[int] = []

    def load() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise LookupError("not there yet")
        return "found"

    with app.test_request_context("/"):
        with pytest.raises(LookupError):
            cached("types", "a", load)
        assert cached("types", "a", load) == "found"
