"""The customer's booking journey as plain HTTP requests, what a browser sends (see
tests/e2e/test_booking_journey.py): the catalog, a type page, the availability form it loads
by htmx, the details form, the details POST (the hold; 303 to the review page), and the
confirmation POST (303 to the "confirmed" page). Eight requests; both POSTs carry the CSRF
token of the form they come from.

`run_journey` drives any client with requests-like `get(url, params=, headers=)` and
`post(url, data=)` that keep cookies and follow redirects, whose answer's `url` is the last
one: locust's FastHttpSession wrapped by locustfile's `_Named` (load) or the Flask test client
wrapped by `FlaskClient` (the SQL statement counts)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

TYPE_LINK = re.compile(r'<article class="type-card">.*?<h3><a href="/catalog/([a-z0-9-]+)"', re.S)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BOOKING_TOKEN = re.compile(r'name="booking_token" value="([^"]+)"')
REVIEW_FORM = re.compile(r'<form method="post" action="(/book/review/[^"]+)"')
HTMX = {"HX-Request": "true"}

CUSTOMER = {
    "name": "Bench Customer",
    "phone": "+49 30 555 0101",
    "street": "Baustr. 7",
    "city": "Berlin",
    "state": "Berlin",
    "postal_code": "10115",
    "country": "Germany",
}


class Reply(Protocol):
    status_code: int
    text: str
    url: str


class Client(Protocol):
    def get(self, url: str, **kwargs: Any) -> Reply: ...
    def post(self, url: str, **kwargs: Any) -> Reply: ...


@dataclass
class Outcome:
    """How a journey ended: "confirmed", or the step where it stopped and why."""

    result: str
    statuses: list[int]


def weekday_ahead(rng: random.Random, days: int = 300) -> date:
    """A weekday 2..days ahead: the demo shop opens Mon–Sat, and a day far apart from other
    journeys' keeps most of them from competing for the same units."""
    while True:
        day = date.today() + timedelta(days=rng.randint(2, days))
        if day.weekday() < 5:
            return day


def fragment_query(rng: random.Random) -> dict[str, str]:
    """What the type page's availability form asks by htmx, for a weekday 09:00–17:00. (Its
    first load asks with no dates, and the default — tomorrow 09:00–17:00 — is refused with a
    422 when tomorrow is a Saturday (open 08:00–13:00): a weekday measures the 200 answer.)"""
    day = weekday_ahead(rng).isoformat()
    return {
        "_block": "availability",
        "basis": "hourly",
        "start": f"{day}T09:00",
        "end": f"{day}T17:00",
        "quantity": "1",
    }


def run_journey(
    client: Client,
    rng: random.Random,
    step: Callable[[str, Reply], None] = lambda name, reply: None,
) -> Outcome:
    statuses: list[int] = []

    def seen(name: str, reply: Reply) -> Reply:
        statuses.append(reply.status_code)
        step(name, reply)
        return reply

    catalog = seen("catalog", client.get("/catalog"))
    slugs = TYPE_LINK.findall(catalog.text)
    if catalog.status_code != 200 or not slugs:
        return Outcome("catalog failed", statuses)
    slug = rng.choice(slugs)
    seen("type page", client.get(f"/catalog/{slug}"))
    seen(
        "availability fragment",
        client.get(f"/book/{slug}", params=fragment_query(rng), headers=HTMX),
    )
    day = weekday_ahead(rng).isoformat()
    period = {"basis": "daily", "start_date": day, "end_date": day, "quantity": "1"}
    form = seen("details form", client.get(f"/book/{slug}/details", params=period))
    csrf, token = CSRF.search(form.text), BOOKING_TOKEN.search(form.text)
    if form.status_code != 200 or not csrf or not token:
        return Outcome("sold out or not bookable online", statuses)
    email = f"bench-{rng.getrandbits(48):x}@example.com"
    data = {
        **period,
        **CUSTOMER,
        "email": email,
        "csrf_token": csrf.group(1),
        "booking_token": token.group(1),
    }
    review = seen("details POST", client.post(f"/book/{slug}/details", data=data))
    action, csrf = REVIEW_FORM.search(review.text), CSRF.search(review.text)
    if review.status_code != 200 or not action or not csrf:
        return Outcome(f"details POST answered {review.status_code}", statuses)
    done = seen("confirm POST", client.post(action.group(1), data={"csrf_token": csrf.group(1)}))
    if done.status_code == 200 and "/book/confirmed/" in done.url:
        return Outcome("confirmed", statuses)
    return Outcome(f"confirm answered {done.status_code}", statuses)


@dataclass
class Answer:
    """A `Reply` as the wrappers below hand it back, after following any redirects."""

    status_code: int
    text: str
    url: str


class FlaskClient:
    """The Flask test client with the requests-like calls `run_journey` makes. It follows
    redirects itself, calling `after(method, path)` after each request it sends (the POST and
    the page it redirects to are two requests)."""

    def __init__(self, client: Any, after: Callable[[str, str], None] | None = None) -> None:
        self.client = client
        self.after = after or (lambda method, path: None)

    def _send(self, method: str, url: str, **kwargs: Any) -> Reply:
        reply = self.client.open(url, method=method, **kwargs)
        self.after(method, url.split("?")[0])
        while reply.status_code in (301, 302, 303, 307, 308):
            url = reply.headers["Location"]
            reply = self.client.get(url)
            self.after("GET", url.split("?")[0])
        return Answer(reply.status_code, reply.get_data(as_text=True), url)

    def get(self, url: str, params: dict | None = None, headers: dict | None = None) -> Reply:
        return self._send("GET", url, query_string=params, headers=headers)

    def post(self, url: str, data: dict | None = None) -> Reply:
        return self._send("POST", url, data=data)
