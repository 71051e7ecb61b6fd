"""Storefront start-up: the public catalog blueprint."""

from __future__ import annotations

from flask import Flask

from rental.storefront.web import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
