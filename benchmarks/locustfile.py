"""Locust user for the booking journey (benchmarks/pages.py starts it headless):

    .venv/bin/locust -f benchmarks/locustfile.py --headless -u 16 -r 16 -t 10s \
        --host http://127.0.0.1:8000 --csv /tmp/journey

Each user runs journeys back to back with no think time. Every finished journey is also
reported as a request of type JOURNEY named "confirmed" (its time is the whole journey's), so
the CSV's JOURNEY row gives confirmed journeys per second; a journey that stops early is a
JOURNEY failure named after the reason."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `_journey`, next to this file
    sys.path.append(str(HERE))

from _journey import Answer, run_journey  # noqa: E402
from locust import task  # noqa: E402
from locust.contrib.fasthttp import FastHttpUser  # noqa: E402


def _step(method: str, url: str) -> str:
    parts = url.split("?")[0].strip("/").split("/")
    if parts[0] == "catalog":
        return "GET catalog" if len(parts) == 1 else "GET type page"
    if parts[:2] == ["book", "review"]:
        return "POST confirm" if method == "POST" else "GET review page"
    if parts[:2] == ["book", "confirmed"]:
        return "GET confirmed page"
    if parts[-1] == "details":
        return "GET details form" if method == "GET" else "POST details"
    return "GET availability fragment"


class _Named:
    """Groups the requests by step (not by URL, which carries slugs and tokens), marks every
    5xx and every request that got no answer as a failure, and follows redirects itself:
    FastHttpSession's answer knows only the URL it was asked for, and the journey reads the
    final one (as a browser's location)."""

    def __init__(self, client) -> None:
        self.client = client

    def _one(self, method: str, url: str, **kwargs):
        name = _step(method, url)
        with self.client.request(
            method, url, name=name, catch_response=True, allow_redirects=False, **kwargs
        ) as r:
            if r.status_code == 0:  # the connection failed: no answer at all
                r.failure("no answer (the connection failed)")
            elif r.status_code >= 500:
                r.failure(f"5xx: {r.status_code}")
            else:
                r.success()  # 4xx are the journey's business (a sold-out day, a form error)
        return r

    def _call(self, method: str, url: str, **kwargs) -> Answer:
        r = self._one(method, url, **kwargs)
        while r.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(r.headers["location"])
            url = target.path + (f"?{target.query}" if target.query else "")
            r = self._one("GET", url)
        return Answer(r.status_code, r.text or "", url)

    def get(self, url: str, **kwargs) -> Answer:
        return self._call("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> Answer:
        return self._call("POST", url, **kwargs)


class Customer(FastHttpUser):
    wait_time = staticmethod(lambda: 0)

    def on_start(self) -> None:
        self.rng = random.Random()

    @task
    def book(self) -> None:
        self.client.cookiejar.clear()  # each journey is a new visitor
        started = time.perf_counter()
        outcome = run_journey(_Named(self.client), self.rng)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.environment.events.request.fire(
            request_type="JOURNEY",
            name=outcome.result if outcome.result != "confirmed" else "confirmed",
            response_time=elapsed_ms,
            response_length=0,
            exception=None if outcome.result == "confirmed" else RuntimeError(outcome.result),
            context={},
        )
