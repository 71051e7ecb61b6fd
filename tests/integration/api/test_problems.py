"""Everything that goes wrong under /api/ is an RFC 9457 problem (application/problem+json),
on SQLite and PostgreSQL: routing (404, 405), the body (415, 400, 413), validation (422 with
a field path per error, unknown fields refused), tokens (401, 403), domain errors with the
pages' messages (404, 409, 422), the rate limit (429 + Retry-After) and a crash (500)."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.api_probe import count_things

THINGS = "/api/v1/_probe/things"


def test_an_unknown_api_path_is_a_404_problem(client):
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404, "not-found")
    assert "GET /api/v1" in body["detail"]
    assert_problem(client.get("/api/v2/anything"), 404)


def test_a_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/api/v1/categories")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_body_errors(probe_app, probe_client):
    auth = bearer(make_token("orders:write"))
    response = probe_client.post(
        THINGS, data="label=x", headers=auth, content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported-media-type")
    response = probe_client.post(
        THINGS, data='{"label": ', headers=auth, content_type="application/json"
    )
    assert_problem(response, 400, "malformed-json")
    probe_app.config["API_MAX_BODY_BYTES"] = 2048
    try:
        response = probe_client.post(THINGS, json={"label": "x" * 5000}, headers=auth)
        assert_problem(response, 413, "too-large")
    finally:
        probe_app.config["API_MAX_BODY_BYTES"] = 1024 * 1024
    assert count_things() == 0


def test_validation_errors_name_each_field(probe_app, probe_client):
    auth = bearer(make_token("orders:write"))
    response = probe_client.post(
        THINGS, json={"label": "", "lines": [{"quantity": 0}], "colour": "red"}, headers=auth
    )
    body = assert_problem(response, 422, "validation")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"label", "lines[0].quantity", "colour"}
    assert all(e["message"] for e in body["errors"])
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert by_field["colour"].startswith("Unknown field")  # not pydantic's "Extra inputs…"
    missing = probe_client.post(THINGS, json={}, headers=auth)
    assert {"field": "label", "message": "This field is required."} in assert_problem(
        missing, 422, "validation"
    )["errors"]
    response = probe_client.get("/api/v1/categories?limit=500")
    assert assert_problem(response, 422)["errors"][0]["field"] == "limit"
    assert count_things() == 0


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        ("validation", 422, "The end must be after the start."),
        ("notfound", 404, "No equipment type 'xyz'."),
        ("conflict", 409, "Only 2 left for that period."),
    ],
)
def test_domain_errors_keep_the_pages_messages(probe_client, kind, status, detail):
    body = assert_problem(probe_client.get(f"/api/v1/_probe/fail/{kind}"), status)
    assert body["detail"] == detail
    if status == 422:
        assert body["errors"] == [{"field": "end", "message": detail}]


def test_a_crash_is_a_500_problem_without_internals(probe_client):
    body = assert_problem(probe_client.get("/api/v1/_probe/fail/boom"), 500, "internal")
    assert "secret internal detail" not in str(body)


def test_public_reads_without_a_token_are_rate_limited_per_ip(app, client, throttle_clock):
    app.config["API_PUBLIC_RATE_LIMIT"] = "2 per minute"
    token = make_token("read")
    try:
        assert client.get("/api/v1/categories").status_code == 200
        assert client.get("/api/v1/categories").status_code == 200
        response = client.get("/api/v1/categories")
        assert_problem(response, 429, "rate-limited")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        # A token-authenticated request is not counted against the public limit.
        assert client.get("/api/v1/categories", headers=bearer(token)).status_code == 200
        throttle_clock.advance(61)
        assert client.get("/api/v1/categories").status_code == 200
    finally:
        app.config["API_PUBLIC_RATE_LIMIT"] = "300 per minute"


def test_problem_types_are_documented(client):
    response = client.get("/api/v1/problems/validation")
    assert response.status_code == 200
    assert response.get_json()["status"] == 422
    assert_problem(client.get("/api/v1/problems/nope"), 404)
