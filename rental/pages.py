"""Public pages that belong to no single module: the home page, /robots.txt, and the health
checks for load balancers and orchestrators (/healthz: the process is alive; /readyz: it can
serve, i.e. the database answers)."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, Response, current_app, jsonify, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from rental.extensions import db
from rental.shared.db import describe_error
from rental.shared.seo import absolute_url, page_meta
from rental.shared.web import RETRY_AFTER_SECONDS, no_store, render

bp = Blueprint("pages", __name__)

# Kept out of search engines: staff pages (/admin and everything below it), sign-in, the
# booking forms, a visitor's cart (/cart and its forms below it) and the customers' private
# manage links (/r/<reference>/<token>). Robots rules match prefixes: /book/ and /r/ keep their
# slash (every page there is below it), so a future public page that merely starts with the
# same letters (/rentals, /books) is not hidden.
# /calendar/: the staff feeds' secret addresses (a crawler that was handed one keeps out).
PRIVATE_PATHS = ("/admin", "/book/", "/cart", "/r/", "/login", "/calendar/")
ROBOTS_MAX_AGE = 86400


@bp.get("/")
def home() -> Response:
    meta = page_meta(
        "Rent equipment by the hour or the day",
        "Rent excavators, scissor lifts, generators, pressure washers and more by the hour or "
        "the day. See what is free for your dates and the exact price, and book online.",
        url_for("pages.home"),
    )
    return render("home.html", meta=meta)


@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    lines.append(f"Sitemap: {absolute_url(url_for('search_engines.sitemap'))}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={ROBOTS_MAX_AGE}"
    return response


@bp.get("/healthz")
def health() -> Response:
    """Liveness only: never touches the database, so an outage does not get healthy web
    processes restarted (they recover by themselves when the database is back)."""
    return no_store(jsonify(status="ok"))


@bp.get("/readyz")
def ready() -> Response:
    """Readiness: 200 when the database answers, else 503 with Retry-After (take this process
    out of the load balancer until it does)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        with suppress(SQLAlchemyError):
            db.session.rollback()
        current_app.logger.warning("Readiness check failed: %s", describe_error(exc))
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return no_store(response)
    return no_store(jsonify(status="ready", database="ok"))
