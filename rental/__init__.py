"""Equipment Rental: a modular monolith. `create_app()` builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from rental import security
from rental.config import engine_options, load_config, normalise_database_url
from rental.extensions import csrf, db, htmx, migrate
from rental.shared.assets import DEFAULT_BUILD_DIR, init_assets, init_html_compression
from rental.shared.db import configure_engine
from rental.shared.images.web import init_images
from rental.shared.jobs import register_job
from rental.shared.outbox import PURGE_EVERY_SECONDS, OutboxProcessor, OutboxSettings, purge_job
from rental.shared.throttle import check_limit_settings, init_throttle
from rental.shared.web import (
    register_admin_nav,
    register_error_handlers,
    register_filters,
    register_input_guard,
    register_security_headers,
)

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    uri = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(uri))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    init_html_compression(app)  # first after_request hook registered: it runs last
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    app.extensions["outbox"] = OutboxProcessor(OutboxSettings.from_config(app.config))
    register_job("outbox.purge", purge_job, seconds=PURGE_EVERY_SECONDS)
    init_throttle(app)

    register_error_handlers(app)
    init_images(app)  # the upload limit, /media/<name>, image_src()
    register_input_guard(app)  # first of the before_request hooks that read the request
    register_security_headers(app)
    security.trust_proxy_and_secure_session_cookie(app)
    register_filters(app)
    # Hashed, precompressed copies of static/ (built here if missing), served by WhiteNoise.
    init_assets(app, Path(app.config.get("STATIC_BUILD_DIR") or DEFAULT_BUILD_DIR))

    from rental import admin, cli, pages
    from rental.modules import init_modules

    app.register_blueprint(pages.bp)
    app.register_blueprint(admin.bp)
    register_admin_nav(app, "Outbox", "admin.outbox", order=90)
    cli.init_app(app)
    init_modules(app)
    check_limit_settings(
        app, "LOGIN_RATE_LIMIT_IP", "LOGIN_RATE_LIMIT_ACCOUNT", "LOGIN_DELAY_AFTER"
    )
    return app
