"""API: the JSON API under /api/v1 (spectree + pydantic v2, OpenAPI 3.1 at
/api/v1/openapi.json), its tokens (/admin/api-tokens) and idempotency keys.

Where it sits: the top feature layer. Every endpoint calls the other modules through their
facades, as the pages do — no rule is implemented twice. Nothing imports the API.

Auth is by bearer token only (`Authorization: Bearer rk_live_…`; scopes read, orders:write,
admin ⊇ both); the session cookie is never read, so CSRF does not apply. Errors are RFC 9457
problems. See docs/architecture.md ("API") for how to add an endpoint.

Layout:
    facade.py                      ApiFacade: tokens (create/list/revoke/authenticate) and
                                   run_once (Idempotency-Key)
    module.py                      init_app: blueprint, hooks, problem handlers, admin page
    domain/tokens.py               scopes, the secret's shape and hash, the form's rules
    domain/problems.py             problem types (/api/v1/problems/<slug>)
    domain/idempotency.py          fingerprint, key lifetime (24 h)
    application/tokens.py          token use cases (last_used_at at most once a minute)
    application/idempotency.py     one creation per (token, key), concurrency-safe
    infrastructure/                api_tokens, api_idempotency_keys (migration 0028)
    web/core.py                    bp, spec, operation(access, query=, json=, ok=, ...)
    web/helpers.py                 json_response (ETag), page_of/page_response, idempotent
    web/problems.py                ApiProblem, problem+json for everything under /api/
    web/schemas/                   pydantic models (ApiModel: extra="forbid")
    web/root.py, web/catalog.py    endpoints; web/admin_tokens.py the admin page
"""

from rental.api.facade import ApiFacade

__all__ = ["ApiFacade"]
