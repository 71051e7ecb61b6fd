"""RFC 9457 problem types of the API. `type` is a relative URI, `/api/v1/problems/<slug>`,
resolved against the API's address; GET on it answers the type's title and description."""

from __future__ import annotations

from dataclasses import dataclass

PROBLEM_BASE = "/api/v1/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


_TYPES = [
    ProblemType("bad-request", 400, "Bad request", "The request cannot be read as sent."),
    ProblemType("malformed-json", 400, "Malformed JSON", "The request body is not valid JSON."),
    ProblemType(
        "unauthorized",
        401,
        "Authentication required",
        "Send a valid, unrevoked API token: `Authorization: Bearer rk_live_…`.",
    ),
    ProblemType(
        "forbidden", 403, "Missing scope", "The token lacks the scope this operation needs."
    ),
    ProblemType("not-found", 404, "Not found", "Nothing exists at this address."),
    ProblemType(
        "method-not-allowed",
        405,
        "Method not allowed",
        "This address does not accept this method; see the Allow header.",
    ),
    ProblemType(
        "conflict", 409, "Conflict", "The request is valid but clashes with the current state."
    ),
    ProblemType(
        "too-large", 413, "Request too large", "The request body is larger than the API accepts."
    ),
    ProblemType(
        "unsupported-media-type",
        415,
        "Unsupported media type",
        "Send request bodies as JSON: `Content-Type: application/json`.",
    ),
    ProblemType(
        "validation",
        422,
        "Invalid input",
        "Some fields are wrong; `errors` lists each field with its message.",
    ),
    ProblemType(
        "idempotency-key-reused",
        422,
        "Idempotency key reused",
        "This Idempotency-Key was first used with a different request; use a new key.",
    ),
    ProblemType(
        "rate-limited",
        429,
        "Too many requests",
        "Slow down; the Retry-After header says how many seconds to wait.",
    ),
    ProblemType(
        "internal",
        500,
        "Internal error",
        "An unexpected error stopped the request. Nothing was changed; try again.",
    ),
    ProblemType(
        "unavailable",
        503,
        "Temporarily unavailable",
        "The database cannot be reached; try again after Retry-After seconds.",
    ),
]
PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in _TYPES}
# A status with no type of its own uses this one.
BY_STATUS: dict[int, ProblemType] = {}
for _t in _TYPES:
    BY_STATUS.setdefault(_t.status, _t)


def problem_type(slug: str | None, status: int) -> ProblemType:
    if slug and slug in PROBLEM_TYPES:
        return PROBLEM_TYPES[slug]
    return BY_STATUS.get(status) or ProblemType(
        "http-" + str(status), status, "Error", "See `detail`."
    )


def field_path(loc: tuple[object, ...] | list[object]) -> str:
    """pydantic's error location → 'lines[0].quantity'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# pydantic's wording for the checks the schema makes itself, said the way the pages say things.
PLAIN_MESSAGES = {
    "extra_forbidden": "Unknown field: this API does not take it (see /api/v1/openapi.json).",
    "missing": "This field is required.",
}


def field_message(error: dict[str, object]) -> str:
    """The message for one pydantic error: ours for the schema's own checks, else pydantic's
    (the models' validators already word theirs like the pages)."""
    return PLAIN_MESSAGES.get(str(error.get("type", ""))) or str(error.get("msg", "Invalid."))
