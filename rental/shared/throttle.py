"""Rate limits for any request, on counters shared by every web worker.

    decision = attempt("booking-holds-ip", client_ip(), "10 per hour")
    if not decision.allowed:
        return too_many_requests(decision, "You have started several bookings in a short time.")

- `attempt(scope, key, limit)` counts the request when it is within the limit and says whether
  it may go ahead; a refused request is not counted. `attempt_all([...])` does the same for
  several limits at once, all or none, in one round trip to the store. `peek` only looks;
  `hit` counts unconditionally (a failed sign-in); `refund` takes one count back (nothing was
  done after all); `clear(scope, key)` starts afresh (`prefix=True`: every key that begins
  with `key`).
- Limits are strings like "10 per hour", "5 per 15 minutes", "100/day" (windows are fixed:
  they start with the first counted request); "off" disables one.
- Keys are HMAC-SHA256 digests of their parts (IPs, e-mails) under SECRET_KEY, so the store
  holds no personal data and any input fits it. A tuple key ("a@b.c", "10.0.0.1") is stored
  part by part, so `clear(scope, ("a@b.c",), prefix=True)` clears it for every IP.
- `@rate_limited(Rule(...), ...)` applies limits to a view: over the limit it answers 429 with
  `Retry-After` and a page that says when to retry (an htmx request gets the notice in
  #notifications); a response of 400 or more gives the counts back (nothing was made).
- Counters live where RATELIMIT_STORAGE_URI says (rental.shared.counters): the database by
  default, Redis when configured, memory only when asked for. The clock is injectable
  (`current_throttle().clock`) so tests move time instead of sleeping.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, make_response, render_template, request

from rental.shared.counters import (
    PURGE_BATCH,
    Counter,
    CounterStore,
    MemoryStore,
    Take,
    store_from_uri,
)
from rental.shared.jobs import register_job
from rental.shared.web import business_tz, is_htmx, notify

Key = str | Sequence[str]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(
    r"\s*(?P<amount>\d+)\s*(?:per|/)\s*(?P<count>\d+)?\s*(?P<unit>second|minute|hour|day)s?\s*",
    re.IGNORECASE,
)
OFF = ("", "off", "none", "unlimited")


@dataclass(frozen=True, slots=True)
class Limit:
    amount: int
    seconds: int
    text: str

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=256)
def parse_limit(text: str) -> Limit | None:
    """'10 per hour' → Limit(10, 3600); 'off' → None (no limit). ValueError when unreadable."""
    if text.strip().lower() in OFF:
        return None
    match = _LIMIT.fullmatch(text)
    if not match or int(match["amount"]) < 1 or match["count"] == "0":
        raise ValueError(
            f"{text!r} is not a rate limit: write it like '10 per hour' or '5 per 15 minutes'."
        )
    seconds = int(match["count"] or 1) * _UNITS[match["unit"].lower()]
    return Limit(int(match["amount"]), seconds, " ".join(text.split()))


def _limit(limit: Limit | str | None) -> Limit | None:
    return parse_limit(limit) if isinstance(limit, str) else limit


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    hits: int  # counted in the current window (with this request when it was allowed)
    retry_after: int  # whole seconds until a request can succeed again; 0 when allowed
    retry_at: datetime | None = None  # the same moment as a UTC datetime

    @classmethod
    def unlimited(cls) -> Decision:
        return cls(True, 0, 0)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One limit a request is counted against."""

    scope: str
    key: Key
    limit: Limit | str | None


def seconds_until(moment_ms: int, now_ms: int) -> int:
    return max(1, math.ceil((moment_ms - now_ms) / 1000))


def _digest(secret: bytes, part: str) -> str:
    data = part.encode("utf-8", "surrogatepass")
    return hmac.new(secret, data, hashlib.sha256).hexdigest()[:32]


@dataclass
class Throttle:
    store: CounterStore
    secret: bytes
    clock: Callable[[], float] = time.time

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def key(self, scope: str, key: Key, *, prefix: bool = False) -> str:
        parts = [key] if isinstance(key, str) else list(key)
        digests = [_digest(self.secret, part) for part in parts]
        return ":".join([scope, *digests]) + (":" if prefix else "")

    def _refused(self, counter: Counter, now_ms: int) -> Decision:
        return Decision(
            False,
            counter.hits,
            seconds_until(counter.window_ends_ms, now_ms),
            datetime.fromtimestamp(counter.window_ends_ms / 1000, UTC),
        )

    def peek(self, scope: str, key: Key, limit: Limit | str | None) -> Decision:
        rule = _limit(limit)
        if rule is None:
            return Decision.unlimited()
        now = self.now_ms()
        counter = self.store.get(self.key(scope, key), now)
        if counter is not None and counter.hits >= rule.amount:
            return self._refused(counter, now)
        return Decision(True, counter.hits if counter else 0, 0)

    def attempt(self, scope: str, key: Key, limit: Limit | str | None) -> Decision:
        return self.attempt_all([Attempt(scope, key, limit)])[1]

    def attempt_all(self, attempts: Sequence[Attempt]) -> tuple[int | None, Decision]:
        """Count the request against every limit, or against none: one statement to the store
        when all have room. Returns (the index of the first attempt refused, or None; the
        decision). A refused request costs a no-op write and a read, and counts nowhere."""
        live = [(i, a, rule) for i, a in enumerate(attempts) if (rule := _limit(a.limit))]
        if not live:
            return None, Decision.unlimited()
        now = self.now_ms()
        keys = {i: self.key(a.scope, a.key) for i, a, _ in live}
        counted = self.store.take(
            [Take(keys[i], rule.seconds * 1000, rule.amount) for i, _, rule in live], now
        )
        refused = [(i, rule) for i, _, rule in live if keys[i] not in counted]
        if not refused:
            return None, Decision(True, counted[keys[live[0][0]]].hits, 0)
        for key in counted:  # all or none: give back what the others took
            self.store.decr(key, now)
        first, rule = refused[0]
        # At its limit a moment ago; if the window ended since, say "in a second".
        counter = self.store.get(keys[first], now) or Counter(rule.amount, now + 1000, now)
        return first, self._refused(counter, now)

    def hit(self, scope: str, key: Key, limit: Limit | str | None) -> Counter | None:
        rule = _limit(limit)
        if rule is None:
            return None
        return self.store.incr(self.key(scope, key), rule.seconds * 1000, self.now_ms())

    def refund(self, scope: str, key: Key, limit: Limit | str | None = None) -> None:
        if limit is not None and _limit(limit) is None:
            return
        self.store.decr(self.key(scope, key), self.now_ms())

    def counter(self, scope: str, key: Key) -> Counter | None:
        return self.store.get(self.key(scope, key), self.now_ms())

    def clear(self, scope: str, key: Key, *, prefix: bool = False) -> None:
        if prefix:
            self.store.clear_prefix(self.key(scope, key, prefix=True))
        else:
            self.store.clear(self.key(scope, key))

    def purge(self) -> int:
        return self.store.purge(self.now_ms())


EXTENSION = "throttle"


def current_throttle() -> Throttle:
    return current_app.extensions[EXTENSION]


def attempt(scope: str, key: Key, limit: Limit | str | None) -> Decision:
    return current_throttle().attempt(scope, key, limit)


def peek(scope: str, key: Key, limit: Limit | str | None) -> Decision:
    return current_throttle().peek(scope, key, limit)


def hit(scope: str, key: Key, limit: Limit | str | None) -> Counter | None:
    return current_throttle().hit(scope, key, limit)


def refund(scope: str, key: Key, limit: Limit | str | None = None) -> None:
    current_throttle().refund(scope, key, limit)


def clear(scope: str, key: Key, *, prefix: bool = False) -> None:
    current_throttle().clear(scope, key, prefix=prefix)


def client_ip() -> str:
    """The client's address (behind TRUSTED_PROXY_COUNT proxies: the one they report)."""
    return request.remote_addr or "unknown"


# --- answering 429 ----------------------------------------------------------------------------


def describe_wait(seconds: int, retry_at: datetime | None = None) -> str:
    """'in 8 seconds', 'in about 12 minutes (at 15:05)', 'in about an hour (at 16:00)', 'in about
    3 hours (at Fri 28 Nov, 18:00)' — the clock time in the business time zone."""
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    hours = round(minutes / 60)
    if minutes < 60:
        when = f"in about {minutes} minute{'s' if minutes != 1 else ''}"
    else:
        when = "in about an hour" if hours == 1 else f"in about {hours} hours"
    if retry_at is None:
        return when
    local = retry_at.astimezone(business_tz())
    today = datetime.fromtimestamp(current_throttle().clock(), business_tz()).date()
    clock = f"{local:%H:%M}" if local.date() == today else f"{local:%a %d %b, %H:%M}"
    return f"{when} (at {clock})"


def too_many_requests(decision: Decision, message: str) -> Response:
    """429 with Retry-After: `message` and when to try again, as a page or an htmx notice."""
    text = f"{message} Please try again {describe_wait(decision.retry_after, decision.retry_at)}."
    if is_htmx():
        response = notify(text, status=429, kind="error")
    else:
        body = render_template("shared/error.html", status=429, title="Please wait", message=text)
        response = make_response(body, 429)
        response.vary.add("HX-Request")
    response.headers["Retry-After"] = str(decision.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- a decorator for views --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A limit on a view: `setting` names the config value ("10 per hour"); `key` gives the
    request's key (None or "": the rule does not apply to this request)."""

    scope: str
    setting: str
    message: str
    key: Callable[[], str | None] = client_ip


_SETTINGS: set[str] = set()  # every setting a rate_limited view reads, checked at start-up


def rate_limited(*rules: Rule, refund_errors: bool = True) -> Callable[[Any], Any]:
    """Apply `rules` to a view. With `refund_errors`, a response with status ≥ 400 (a form
    error, a conflict) gives the counts back: only requests that did something are counted."""
    _SETTINGS.update(rule.setting for rule in rules)

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            throttle = current_throttle()
            applied: list[tuple[Rule, Attempt]] = []
            for rule in rules:
                key = rule.key()
                limit = current_app.config.get(rule.setting)
                if key and parse_limit(limit or "off") is not None:
                    applied.append((rule, Attempt(rule.scope, key, limit)))
            refused, decision = throttle.attempt_all([a for _, a in applied])
            if refused is not None:
                return too_many_requests(decision, applied[refused][0].message)
            ok = False
            try:
                response = current_app.make_response(view(*args, **kwargs))
                ok = response.status_code < 400
                return response
            finally:
                if refund_errors and not ok:
                    for _, a in applied:
                        throttle.refund(a.scope, a.key, a.limit)

        return wrapper

    return decorate


# --- wiring -----------------------------------------------------------------------------------


def init_throttle(app: Flask) -> None:
    secret = str(app.config["SECRET_KEY"]).encode()
    store = store_from_uri(
        app.config.get("RATELIMIT_STORAGE_URI"),
        app.config.get("RATELIMIT_KEY_PREFIX") or "rentkit:throttle:",
    )
    app.extensions[EXTENSION] = Throttle(store, hashlib.sha256(b"throttle:" + secret).digest())
    if isinstance(store, MemoryStore) and not app.testing:
        app.logger.warning(
            "RATELIMIT_STORAGE_URI=memory://: rate limits count per process, so with several "
            "gunicorn workers each one lets the full limit through. Use it for development only."
        )

    def purge_expired_counters() -> None:
        # In batches, so a table grown by a flood of distinct keys never needs one long delete.
        while current_throttle().purge() >= PURGE_BATCH:
            pass

    register_job("throttle.purge", purge_expired_counters, seconds=600)


def check_limit_settings(app: Flask, *extra: str) -> None:
    """Fail at start-up, naming the setting, when a configured limit cannot be read."""
    for name in sorted(_SETTINGS | set(extra)):
        try:
            parse_limit(str(app.config.get(name) or "off"))
        except ValueError as exc:
            raise RuntimeError(f"{name}: {exc}") from None
