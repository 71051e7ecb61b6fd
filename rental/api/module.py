"""Wire the API in: the endpoint files onto the blueprint (CSRF-exempt: bearer tokens only),
problem+json for everything under /api/, the token and body checks, the admin page and its
menu entry, the idempotency keys' cleanup job."""

from __future__ import annotations

import importlib

from flask import Flask

from rental.api.facade import ApiFacade
from rental.api.web import ENDPOINTS, admin_tokens
from rental.api.web.core import bp, check_every_route_is_guarded, install_hooks
from rental.api.web.problems import install_problem_handlers
from rental.extensions import csrf
from rental.shared.jobs import register_job
from rental.shared.throttle import parse_limit
from rental.shared.time_range import utcnow
from rental.shared.web import register_admin_nav


def purge_idempotency_keys() -> None:
    ApiFacade().purge_expired_keys(utcnow())


def init_app(app: Flask) -> None:
    for name in ENDPOINTS:
        importlib.import_module(name)
    # The API reads no cookie: it authenticates by bearer token only, so a browser's session
    # never reaches an endpoint (anonymous there) and CSRF has nothing to protect.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(admin_tokens.admin_bp)
    register_admin_nav(app, "API tokens", "api_admin.token_list", order=88)
    install_hooks(app)
    install_problem_handlers(app)
    check_every_route_is_guarded(app)
    try:
        parse_limit(str(app.config.get("API_PUBLIC_RATE_LIMIT") or "off"))
    except ValueError as exc:
        raise RuntimeError(f"API_PUBLIC_RATE_LIMIT: {exc}") from None
    register_job("api.purge_idempotency_keys", purge_idempotency_keys, seconds=3600)
