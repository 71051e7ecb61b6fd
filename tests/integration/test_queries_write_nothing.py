"""Queries are safe (spec 3.B): reading a page changes nothing. Every GET route of the app,
with real values for its path (tests/support/world.py), is requested by a visitor and by an
admin while every SQL statement is watched: none may insert, update or delete a row — beyond
the rate-limit counters a page is allowed to count on (rental/shared/counters.py)."""

from __future__ import annotations

import re

from tests.support.auth import sign_in
from tests.support.statements import statements
from tests.support.world import build_url, make_world, routes

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
# Counting a request is what a rate limit is for; it is not the page's state.
_ALLOWED = re.compile(r"\b(throttle_counters)\b", re.I)


def test_no_get_route_writes_a_row(app, admin_user):
    world = make_world()
    visitor = app.test_client()
    admin = sign_in(app.test_client(), admin_user)
    writes: list[str] = []
    for rule in routes(app, "GET"):
        if rule.endpoint in ("accounts.logout", "static"):
            continue
        for pick in (0, 1):
            url = build_url(app, rule, world, pick)
            for who, web in (("visitor", visitor), ("admin", admin)):
                with statements() as seen:
                    web.get(url)
                writes += [
                    f"{who} GET {url}: {s[:120]}"
                    for s in seen
                    if _WRITE.match(s) and not _ALLOWED.search(s)
                ]
    assert writes == []
