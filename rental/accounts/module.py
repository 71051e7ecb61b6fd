"""Wire staff accounts into the app: login sessions, the /admin gate, login throttling,
pages, admin menu entry, CLI and demo users."""

from __future__ import annotations

from flask import Flask

from rental.accounts import cli, demo, security, web
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    security.init_security(app)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "Staff users", "accounts.users", order=80)
    app.cli.add_command(cli.accounts_cli)
    register_seeder("accounts", demo.seed_staff)
