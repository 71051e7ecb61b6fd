"""The pieces every API endpoint is made of. An endpoint file (web/catalog.py, orders.py …)
registers on the one blueprint and the one SpecTree:

    from rental.api.web.core import ORDERS_WRITE, READ, bp, operation

    @bp.get("/orders/<order_id>")
    @operation(READ, ok=OrderOut, errors=(404,), tags=["orders"])
    def get_order(order_id: str):
        "Read an order (the first docstring line is the summary in the OpenAPI document)."
        return json_response(OrderOut.from_order(BookingFacade().get_order(order_id)))

`operation(access, query=, json=, ok=, status=, errors=, tags=)`:
- access: PUBLIC (no token needed; without one, rate-limited per IP by API_PUBLIC_RATE_LIMIT)
  or a scope (READ, ORDERS_WRITE, ADMIN) the bearer token must have (401 without a valid
  token, 403 naming the scope).
- query/json: ApiModel classes; the view receives them as `query`/`json` arguments (annotate
  them: `def view(json: OrderIn)`). Invalid input → 422 problem with `errors` per field.
- ok + status: the success model and status (documented and checked); errors: the extra
  problem statuses the view can answer (404, 409 …) for the OpenAPI document.
Every /api/ route must go through `operation` (checked at start-up): no endpoint is
accidentally open.

Authentication is ONLY the bearer token: the API never reads the session cookie or
current_user, so a browser session alone is anonymous here. That is why the blueprint is
exempt from CSRF: a cookie can never reach a write endpoint (they all need a token, which a
browser does not send by itself)."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from spectree import Response as SpecResponse
from spectree import SecurityScheme, SecuritySchemeData, SpecTree

from rental.api.domain.problems import field_message, field_path
from rental.api.domain.tokens import ADMIN, ORDERS_WRITE, READ, ApiToken
from rental.api.facade import ApiFacade
from rental.api.web.problems import ApiProblem
from rental.api.web.schemas.common import Problem
from rental.shared.throttle import attempt, client_ip, describe_wait
from rental.shared.time_range import utcnow

__all__ = [
    "ADMIN",
    "ORDERS_WRITE",
    "PUBLIC",
    "READ",
    "ApiProblem",
    "bp",
    "current_token",
    "operation",
    "spec",
]

PREFIX = "/api/v1"
PUBLIC = "public"
BEARER = "bearer"
ACCESS_ATTR = "api_access"
JSON_TYPES = ("application/json",)

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def _before(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """spectree's hook after validating the request: our 422 problem instead of its list."""
    if error is None:
        return
    errors = [
        {"field": field_path(e.get("loc", ())) or "body", "message": field_message(e)}
        for e in error.errors()  # type: ignore[attr-defined]
    ]
    raise ApiProblem(
        422, "Some of what you sent is not valid; see `errors`.", slug="validation", errors=errors
    )


def _after(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """A response that breaks its own documented model is our bug: a 500 problem, logged."""
    if error is not None:
        raise RuntimeError(f"API response does not match its model: {error}")


spec = SpecTree(
    "flask",
    title="RentKit API",
    version="1.0.0",
    description="Catalog, availability, orders, customers, items and payments of a rental shop."
    " Errors are RFC 9457 problems (application/problem+json).",
    path="api/v1/openapi",  # spectree's own routes are not registered (see module.py)
    mode="strict",
    page_templates={},  # no CDN-loaded doc pages; the reference page is our own
    before=_before,
    after=_after,
    validation_error_status=422,
    validation_error_model=Problem,
    security_schemes=[
        SecurityScheme(
            name=BEARER,
            data=SecuritySchemeData(
                type="http", scheme="bearer", description="An API token, rk_live_…"
            ),
        )
    ],
    annotations=True,
    # Components are named after their model class (unique across web/schemas/, please).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def current_token() -> ApiToken | None:
    """The request's bearer token (None on a public endpoint called without one)."""
    return g.get("api_token")


def operation(
    access: str,
    *,
    query: type | None = None,
    json: type | None = None,
    ok: Any = None,
    status: int = 200,
    errors: Iterable[int] = (),
    tags: Iterable[str] = (),
    etag: bool = False,
) -> Callable[[Any], Any]:
    """Document, validate and guard a view (see the module docstring)."""
    if access not in (PUBLIC, READ, ORDERS_WRITE, ADMIN):
        raise ValueError(f"unknown access {access!r}")
    codes: set[int] = {400, 422, 500, *errors}
    codes |= {401, 429} if access == PUBLIC else {401, 403}
    if json is not None:
        codes |= {413, 415}
    responses: dict[str, Any] = {f"HTTP_{status}": ok}
    responses.update({f"HTTP_{code}": Problem for code in sorted(codes)})
    if etag:
        responses["HTTP_304"] = None

    def decorate(view: Any) -> Any:
        validated = spec.validate(
            query=query,
            json=json,
            resp=SpecResponse(**responses),
            tags=list(tags),
            security={} if access == PUBLIC else {BEARER: []},
        )(view)
        setattr(validated, ACCESS_ATTR, access)
        return validated

    return decorate


# --- the request hooks ---------------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthorized("The Authorization header must be `Bearer <token>`.")
    return value.strip()


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="RentKit API"'},
    )


def _authenticate(access: str) -> None:
    secret = _bearer()
    token = ApiFacade().authenticate(secret, utcnow()) if secret else None
    if secret and token is None:
        raise _unauthorized("This API token is not valid or has been revoked.")
    g.api_token = token
    if access == PUBLIC:
        if token is None:
            _limit_public()
        return
    if token is None:
        raise _unauthorized("This endpoint needs an API token: `Authorization: Bearer …`.")
    if not token.allows(access):
        raise ApiProblem(
            403,
            f"This API token lacks the `{access}` scope this operation needs.",
            slug="forbidden",
            scope=access,
        )


def _limit_public() -> None:
    limit = current_app.config.get("API_PUBLIC_RATE_LIMIT") or "off"
    decision = attempt("api-public-ip", client_ip(), limit)
    if not decision.allowed:
        raise ApiProblem(
            429,
            "Too many requests without an API token from your address. Please try again "
            f"{describe_wait(decision.retry_after)}.",
            slug="rate-limited",
            headers={"Retry-After": str(decision.retry_after)},
        )


def _check_body() -> None:
    """A body must be JSON (415), well-formed (400); its size is capped before (413)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if not request.content_length and "Transfer-Encoding" not in request.headers:
        return
    mimetype = request.mimetype
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise ApiProblem(
            415,
            "Send the request body as JSON with `Content-Type: application/json`.",
            slug="unsupported-media-type",
        )
    data = request.get_data(cache=True)  # raises 413 over the limit
    try:
        jsonlib.loads(data)
    except (ValueError, RecursionError):
        raise ApiProblem(
            400, "The request body is not valid JSON.", slug="malformed-json"
        ) from None


def _api_request() -> None:
    """Before every request: API views get their body checked and their token checked."""
    view = current_app.view_functions.get(request.endpoint or "")
    access = getattr(view, ACCESS_ATTR, None)
    if access is None:
        if view is not None and request.path.startswith("/api/"):
            raise RuntimeError(f"API view {request.endpoint} has no access rule")
        return
    _authenticate(access)
    _check_body()


def _body_limit() -> None:
    if request.path.startswith("/api/"):
        request.max_content_length = current_app.config.get("API_MAX_BODY_BYTES", 1024 * 1024)


def install_hooks(app: Flask) -> None:
    # The size cap first of all (the input guard reads JSON bodies); the token afterwards.
    app.before_request_funcs.setdefault(None, []).insert(0, _body_limit)
    app.before_request(_api_request)


def check_every_route_is_guarded(app: Flask) -> None:
    """Start-up check: each route under /api/ went through `operation` (or is marked with
    `public_resource`), so none is open by mistake."""
    for rule in app.url_map.iter_rules():
        if not str(rule).startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, ACCESS_ATTR, None) is None:
            raise RuntimeError(f"API route {rule} has no access rule: use @operation(...)")


def public_resource(view: Any) -> Any:
    """For the few undocumented public routes (the OpenAPI document, problem types)."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view
