"""Every answer under /api/ that is an error is an RFC 9457 problem (application/problem+json):
`type` (/api/v1/problems/<slug>), `title`, `status`, `detail`, and for 422 `errors`
[{"field", "message"}]. Views raise `ApiProblem(status, detail, slug=...)` or a domain
error (NotFoundError → 404, ValidationError/NeedsConfirmation → 422, ConflictError → 409,
with the message the pages show); everything else (routing 404/405, 413, a crash → 500, the
database unreachable → 503) is turned into a problem here."""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from rental.api.domain.idempotency import IdempotencyKeyReused
from rental.api.domain.problems import problem_type
from rental.shared.db import describe_error, is_outage
from rental.shared.errors import DomainError, NeedsConfirmation, ValidationError
from rental.shared.redaction import redact
from rental.shared.web import RETRY_AFTER_SECONDS

PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """Raise in a view to answer a problem: `ApiProblem(409, "No generator is free then.",
    alternatives=[...])`. Extra keyword members go into the body; `headers` onto the answer."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.slug, self.title = status, detail, slug, title
        self.errors, self.headers, self.extra = errors, headers or {}, extra


def problem_response(problem: ApiProblem) -> Response:
    kind = problem_type(problem.slug, problem.status)
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": problem.title or kind.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    body.update(problem.extra)
    text = "" if request.method == "HEAD" else json.dumps(body, ensure_ascii=False)
    response = current_app.response_class(text, status=problem.status, mimetype=PROBLEM_JSON)
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _field_errors(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"field": field, "message": message} for field, message in errors.items()]


def _unexpected(exc: BaseException) -> ApiProblem:
    current_app.logger.error(
        "Unhandled error on %s %s", request.method, redact(request.path), exc_info=exc
    )
    return ApiProblem(
        500,
        "An unexpected error stopped this request. Nothing was changed; please try again.",
    )


def to_problem(exc: BaseException) -> ApiProblem:
    """The problem for any exception a request under /api/ ended with."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, IdempotencyKeyReused):
        return ApiProblem(
            422,
            exc.message,
            slug="idempotency-key-reused",
            errors=[{"field": "Idempotency-Key", "message": exc.message}],
        )
    if isinstance(exc, NeedsConfirmation):
        errors = [{"field": w.field or "", "message": w.message} for w in exc.warnings]
        return ApiProblem(422, exc.message, slug="validation", errors=errors)
    if isinstance(exc, ValidationError):
        return ApiProblem(422, exc.message, slug="validation", errors=_field_errors(exc.errors))
    if isinstance(exc, DomainError):
        return ApiProblem(exc.status_code, exc.message)
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
        size = f" (at most {limit // 1024} KiB)" if limit else ""
        return ApiProblem(413, f"The request body is larger than the API accepts{size}.")
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return ApiProblem(
            405,
            f"{request.method} is not allowed here. Allowed: {allowed or 'none'}.",
            headers={"Allow": allowed} if allowed else None,
        )
    if isinstance(exc, NotFound):
        detail = exc.description
        if detail == NotFound.description:
            detail = "There is nothing at this address in the API. GET /api/v1 lists what is."
        return ApiProblem(404, detail)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return ApiProblem(status, exc.description or exc.name, title=exc.name)
    if isinstance(exc, SQLAlchemyError) and is_outage(exc):
        current_app.logger.warning(
            "Database unavailable on %s %s: %s",
            request.method,
            redact(request.path),
            describe_error(exc),
        )
        return ApiProblem(
            503,
            "We cannot reach our database at the moment. Please try again in a minute.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return _unexpected(exc)


def is_api_request() -> bool:
    if not has_request_context():
        return False
    path = request.path
    return path == "/api" or path.startswith("/api/")


def install_problem_handlers(app: Flask) -> None:
    """Wrap the app's error handlers (pages, registered before us): under /api/ they answer a
    problem, elsewhere they do what they did. Routing errors (an unknown API path, a wrong
    method) belong to no blueprint, which is why this is app-wide."""

    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        def handler(exc: BaseException) -> Any:
            if is_api_request():
                return problem_response(to_problem(exc))
            return original(exc)

        return handler

    app.register_error_handler(ApiProblem, lambda exc: problem_response(exc))
    app.register_error_handler(IdempotencyKeyReused, lambda exc: problem_response(to_problem(exc)))
    for by_class in app.error_handler_spec[None].values():
        for cls, original in list(by_class.items()):
            if cls not in (ApiProblem, IdempotencyKeyReused):
                by_class[cls] = wrap(original)
