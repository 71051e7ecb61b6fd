"""Storefront start-up: the public catalog and the sitemap."""

from __future__ import annotations

from flask import Flask

from rental.storefront.web import bp, sitemap_bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(sitemap_bp)
