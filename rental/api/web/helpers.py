"""Helpers for endpoint views: JSON answers with ETag, cursor pagination, Idempotency-Key.

return json_response(CategoryOut(...), etag=True)      # 200, or 304 on If-None-Match

items, next_state = page_of(sorted_items, query, key=lambda c: c.slug)
return page_response(CategoryPage(data=[...], next_cursor=None), next_state)

@bp.post("/orders")
@operation(ORDERS_WRITE, json=OrderIn, ok=OrderOut, status=201, errors=(409,))
def create_order(json: OrderIn):
    def create() -> Created:
        order = BookingFacade().place_order(...)      # joins the key's transaction
        return Created(OrderOut.from_order(order), location=f"/api/v1/orders/{order.id}")
    return idempotent(create)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel

from rental.api.application.idempotency import StoredResponse
from rental.api.domain.idempotency import KEY_MAX, fingerprint, valid_key
from rental.api.facade import ApiFacade
from rental.api.web.core import current_token
from rental.api.web.problems import ApiProblem
from rental.api.web.schemas.common import MoneyAmount, PageQuery
from rental.shared.money import Money
from rental.shared.time_range import utcnow

T = TypeVar("T")


def _dump(payload: Any) -> str:
    if isinstance(payload, BaseModel):
        return payload.model_dump_json()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def json_response(
    payload: Any, status: int = 200, *, etag: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer. With `etag`: a strong ETag of the body, and 304 (no body) when the
    request's If-None-Match has it. Reads revalidate (`Cache-Control: no-cache`)."""
    body = _dump(payload)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    if etag:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.headers.setdefault("Cache-Control", "no-cache")
        response.vary.add("Authorization")
        response.make_conditional(request)
    return response


# --- pagination -------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def encode_cursor(state: dict[str, Any]) -> str:
    """An opaque, signed cursor for `state` (e.g. {"after": last_key})."""
    return str(_serializer().dumps(state))


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The state of a cursor we made; a forged or garbled one → 422 on `cursor`."""
    if not cursor:
        return None
    try:
        state = _serializer().loads(cursor)
    except BadSignature:
        state = None
    if not isinstance(state, dict):
        message = "This cursor is not valid: use the `next_cursor` of the previous page."
        raise ApiProblem(
            422, message, slug="validation", errors=[{"field": "cursor", "message": message}]
        )
    return state


def page_of(
    items: Sequence[T], query: PageQuery, key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """One page of an in-memory list sorted by the unique `key`: (items, next cursor)."""
    state = decode_cursor(query.cursor)
    after = str(state.get("after", "")) if state else None
    rest = [i for i in items if after is None or key(i) > after]
    page = rest[: query.limit]
    more = len(rest) > query.limit
    return page, encode_cursor({"after": key(page[-1])}) if more and page else None


def page_response(payload: Any, next_cursor: str | None, *, etag: bool = False) -> Response:
    """`{"data": [...], "next_cursor": ...}` with `Link: <…>; rel="next"` when there is more."""
    headers = {}
    if next_cursor:
        args = request.args.to_dict()
        args["cursor"] = next_cursor
        headers["Link"] = f'<{request.path}?{urlencode(args)}>; rel="next"'
    return json_response(payload, etag=etag, headers=headers)


# --- Idempotency-Key ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Created:
    """What a creating view made: the body (a model or dict), its status and Location."""

    body: Any
    status: int = 201
    location: str | None = None


IDEMPOTENCY_HEADER = "Idempotency-Key"


def _answer(stored: StoredResponse, replayed: bool) -> Response:
    response = current_app.response_class(
        stored.body, status=stored.status, mimetype="application/json"
    )
    if stored.location:
        response.headers["Location"] = stored.location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(create: Callable[[], Created]) -> Response:
    """Run `create` (the facade call) at most once per token and Idempotency-Key header: a
    retry with the same key and body gets the first response again (`Idempotent-Replayed:
    true`), with another body a 422. Without the header `create` simply runs. Needs a token
    (creating endpoints are never public)."""

    def stored() -> StoredResponse:
        made = create()
        return StoredResponse(made.status, _dump(made.body), made.location)

    key = request.headers.get(IDEMPOTENCY_HEADER)
    token = current_token()
    if key is None or token is None:
        return _answer(stored(), False)
    if not valid_key(key):
        message = f"An Idempotency-Key is 1–{KEY_MAX} visible ASCII characters (no spaces)."
        raise ApiProblem(400, message, errors=[{"field": IDEMPOTENCY_HEADER, "message": message}])
    body = request.get_json(silent=True)
    print_ = fingerprint(request.method, request.path, body)
    result, replayed = ApiFacade().run_once(token.id, key, print_, utcnow(), stored)
    return _answer(result, replayed)


def money(value: Money) -> MoneyAmount:
    """Money as every endpoint writes it: rounded to the currency's minor unit, as a string."""
    return MoneyAmount(amount=str(value.rounded().amount), currency=value.currency)
