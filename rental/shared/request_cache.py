"""Reads remembered for the rest of one web request.

A page often needs the same slow-changing row through several modules: the booking details
POST reads the equipment type in the view (404 for an unknown slug), again when the hold is
validated, and its rate card once for the check and once for the price. A facade wraps such a
read in `cached(namespace, key, load)`, so within one request it runs once; the facade's own
commands call `forget(namespace)`, so a request that changes the row reads it afresh.

Only inside a request: outside one (the worker, the CLI, tests calling facades directly)
every call loads. The store lives in the WSGI environ, which belongs to exactly one request
(flask.g does not: an app context pushed around several requests shares it). Failures are not
remembered, so a NotFoundError is raised again each time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from flask import has_request_context, request

from rental.shared.reference_cache import REQUEST_STORE_KEY, load_many_shared, load_shared

T = TypeVar("T")
_ENVIRON_KEY = REQUEST_STORE_KEY


def _store() -> dict[str, dict[Hashable, Any]] | None:
    if not has_request_context():
        return None
    return request.environ.setdefault(_ENVIRON_KEY, {})


def cached(
    namespace: str, key: Hashable, load: Callable[[], T], *, across_requests: bool = False
) -> T:
    """`across_requests`: reference data, also kept in the process for the next requests
    (rental.shared.reference_cache says when that is safe)."""
    store = _store()
    if store is None:
        return load()
    entries = store.setdefault(namespace, {})
    if key not in entries:
        entries[key] = load_shared(namespace, key, load) if across_requests else load()
    return entries[key]


def cached_many(
    namespace: str,
    keys: Iterable[Hashable],
    load: Callable[[list[Hashable]], Mapping[Any, Any]],
    *,
    across_requests: bool = False,
) -> dict[Any, Any]:
    """`cached` for several keys: one `load(missing)` call for the keys not read yet in this
    request (none when all were), so two modules asking for the same rows of a page cost one
    statement. A key `load` leaves out is remembered as None."""
    keys = list(dict.fromkeys(keys))
    store = _store()
    if store is None:
        loaded = load(keys)
        return {key: loaded.get(key) for key in keys}
    entries = store.setdefault(namespace, {})
    if missing := [key for key in keys if key not in entries]:
        loaded = load_many_shared(namespace, missing, load) if across_requests else load(missing)
        for key in missing:
            entries[key] = loaded.get(key)
    return {key: entries[key] for key in keys}


def remember(namespace: str, key: Hashable, value: Any) -> None:
    """Store a value read some other way (e.g. a row found by another key)."""
    store = _store()
    if store is not None:
        store.setdefault(namespace, {})[key] = value


def forget(namespace: str) -> None:
    store = _store()
    if store is not None:
        store.pop(namespace, None)
