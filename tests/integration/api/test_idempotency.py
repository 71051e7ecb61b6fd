"""Idempotency-Key on creating POSTs (tests/support/api_probe.py creates a row the way an
order endpoint will), on SQLite and PostgreSQL: a retry with the same key and body replays
the first response and creates nothing; another body is a 422; keys belong to their token;
a failed request stores nothing; an expired key is used afresh. On PostgreSQL, a retry that
arrives while the first request's transaction is still open waits on the key's unique index
and then replays the stored response (forced open with a second session, no sleeps)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text, update

from rental.api import ApiFacade
from rental.api.domain.idempotency import fingerprint
from rental.api.infrastructure.entities import ApiIdempotencyKeyEntity
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.api_probe import count_things

THINGS = "/api/v1/_probe/things"


def post(client, body, secret, key=None):
    headers = bearer(secret)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(THINGS, json=body, headers=headers)


def stored_keys() -> list[ApiIdempotencyKeyEntity]:
    rows = list(db.session.scalars(select(ApiIdempotencyKeyEntity)))
    db.session.rollback()
    return rows


def test_a_retry_with_the_same_key_replays_the_first_response(probe_app, probe_client):
    secret = make_token("orders:write")
    first = post(probe_client, {"label": "tent"}, secret, key="order-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(probe_client, {"label": "tent"}, secret, key="order-1")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_things() == 1
    (row,) = stored_keys()
    assert row.expires_at - row.created_at == timedelta(hours=24)


def test_the_same_key_with_another_body_is_a_422(probe_app, probe_client):
    secret = make_token("orders:write")
    post(probe_client, {"label": "tent"}, secret, key="order-1")
    response = post(probe_client, {"label": "chairs"}, secret, key="order-1")
    body = assert_problem(response, 422, "idempotency-key-reused")
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert count_things() == 1


def test_keys_belong_to_their_token_and_no_key_means_no_replay(probe_app, probe_client):
    one, two = make_token("orders:write"), make_token("admin")
    post(probe_client, {"label": "tent"}, one, key="k")
    assert post(probe_client, {"label": "tent"}, two, key="k").status_code == 201
    post(probe_client, {"label": "tent"}, one)
    post(probe_client, {"label": "tent"}, one)
    assert count_things() == 4


def test_a_failed_request_stores_nothing_and_a_bad_key_is_refused(probe_app, probe_client):
    secret = make_token("orders:write")
    assert_problem(post(probe_client, {"label": "conflict"}, secret, key="k1"), 409)
    assert stored_keys() == []
    assert_problem(post(probe_client, {"label": "conflict"}, secret, key="k1"), 409)
    assert post(probe_client, {"label": "tent"}, secret, key="k1").status_code == 201
    assert_problem(post(probe_client, {"label": "tent"}, secret, key="has space"), 400)
    assert_problem(post(probe_client, {"label": "tent"}, secret, key="x" * 256), 400)
    assert count_things() == 1


def test_an_expired_key_is_used_afresh(probe_app, probe_client):
    secret = make_token("orders:write")
    post(probe_client, {"label": "tent"}, secret, key="k")
    db.session.execute(
        update(ApiIdempotencyKeyEntity).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    again = post(probe_client, {"label": "tent"}, secret, key="k")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count_things() == 2
    assert ApiFacade().purge_expired_keys(utcnow() + timedelta(hours=25)) == 1


# --- concurrent retries (PostgreSQL) ------------------------------------------------------------


def lock_waiters() -> int:
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    db.session.rollback()
    return count


class Request(threading.Thread):
    def __init__(self, client, body, secret, key) -> None:
        super().__init__(daemon=True)
        self.args = (client, body, secret, key)
        self.response = None

    def run(self) -> None:
        self.response = post(*self.args)


def wait_for_a_lock_waiter(thread: Request) -> None:
    """Until the request blocks on the key's unique index (a state, not a delay)."""
    for _ in range(2000):
        if lock_waiters() >= 1:
            return
        assert thread.is_alive(), "the request finished without waiting for the lock"
        time.sleep(0.005)
    pytest.fail("the request never waited on the key's lock")


def first_request_in_flight(token_id: str, key: str, body: dict):
    """A second session playing the first request: its key row inserted, not yet committed."""
    connection = db.engine.connect()
    transaction = connection.begin()
    now = utcnow()
    connection.execute(
        insert(ApiIdempotencyKeyEntity).values(
            token_id=token_id,
            key=key,
            fingerprint=fingerprint("POST", THINGS, body),
            status_code=201,
            body=json.dumps({"id": 999, "label": body["label"]}),
            location="/things/999",
            created_at=now,
            expires_at=now + timedelta(hours=24),
        )
    )
    return connection, transaction


@pytest.mark.parametrize("first_outcome", ["commits", "rolls back"])
def test_a_concurrent_retry_waits_and_never_creates_twice(
    probe_app, probe_client, backend, first_outcome
):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: this window cannot open")
    secret = make_token("orders:write")
    (token,) = ApiFacade().list_tokens()
    db.session.remove()
    body = {"label": "tent"}
    connection, transaction = first_request_in_flight(token.id, "k", body)
    retry = Request(probe_client, body, secret, "k")
    retry.start()
    try:
        wait_for_a_lock_waiter(retry)
        assert count_things() == 0
    finally:
        if first_outcome == "commits":
            transaction.commit()
        else:
            transaction.rollback()
        connection.close()
    retry.join(timeout=60)
    response = retry.response
    assert response is not None
    if first_outcome == "commits":
        # The first request's stored answer, and no second creation.
        assert response.status_code == 201
        assert response.get_json() == {"id": 999, "label": "tent"}
        assert response.headers["Idempotent-Replayed"] == "true"
        assert count_things() == 0
    else:
        # The first request failed (nothing stored): the retry creates, exactly once.
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
        assert count_things() == 1
    assert len(stored_keys()) == 1
