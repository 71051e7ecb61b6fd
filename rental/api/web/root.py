"""GET /api/v1 (links), /api/v1/openapi.json (the document), /api/v1/problems/<slug> (what a
problem type means) and /api/v1/tokens/current (the calling token)."""

from __future__ import annotations

import copy
from typing import Any

from flask import Response, current_app

from rental.api.domain.problems import PROBLEM_TYPES
from rental.api.domain.tokens import READ, effective_scopes
from rental.api.web.core import PREFIX, PUBLIC, bp, current_token, operation, public_resource, spec
from rental.api.web.helpers import json_response
from rental.api.web.problems import PROBLEM_JSON, ApiProblem
from rental.api.web.schemas.root import ApiIndex, CurrentToken

OPENAPI_CACHE = "api.openapi"
# Resource name → path; endpoint files add theirs (LINKS["orders"] = "/api/v1/orders").
LINKS: dict[str, str] = {
    "openapi": f"{PREFIX}/openapi.json",
    "categories": f"{PREFIX}/categories",
    "current_token": f"{PREFIX}/tokens/current",
}


@bp.get("")
@operation(PUBLIC, ok=ApiIndex, etag=True, tags=["meta"])
def index() -> Response:
    """The API's entry point: links to its resources."""
    body = ApiIndex(
        name="RentKit API",
        version="v1",
        openapi=LINKS["openapi"],
        links=dict(sorted(LINKS.items())),
    )
    return json_response(body, etag=True)


@bp.get("/tokens/current")
@operation(READ, ok=CurrentToken, tags=["meta"])
def token_current() -> Response:
    """The calling token: its name and scopes."""
    token = current_token()
    assert token is not None  # the `read` access rule let it in
    return json_response(
        CurrentToken(
            name=token.name,
            prefix=token.display,
            scopes=list(token.scopes),
            effective_scopes=sorted(effective_scopes(token.scopes)),
        )
    )


def _problem_content(operation_doc: dict[str, Any]) -> None:
    for code, answer in operation_doc.get("responses", {}).items():
        content = answer.get("content") or {}
        if code[:1] in "45" and "application/json" in content:
            answer["content"] = {PROBLEM_JSON: content.pop("application/json")}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this app's API, built once per app."""
    cached = current_app.extensions.get(OPENAPI_CACHE)
    if cached is None:
        # Per app (spec.spec would cache the first app's); spectree moves nested models' $defs
        # out of spec.models while generating, so it works on a copy.
        saved = copy.deepcopy(spec.models)
        try:
            document = copy.deepcopy(spec._generate_spec())
        finally:
            spec.models = saved
        for path_item in document["paths"].values():
            for operation_doc in path_item.values():
                _problem_content(operation_doc)
        document["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
        cached = current_app.extensions[OPENAPI_CACHE] = document
    return cached


@bp.get("/openapi.json")
@public_resource
def openapi() -> Response:
    return json_response(openapi_document(), etag=True)


@bp.get("/problems/<slug>")
@public_resource
def problem_type_doc(slug: str) -> Response:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ApiProblem(404, "There is no such problem type.")
    return json_response(
        {
            "type": kind.uri,
            "title": kind.title,
            "status": kind.status,
            "description": kind.description,
        },
        etag=True,
    )
