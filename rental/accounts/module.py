"""Wire staff accounts into the app: the login throttle, Flask-Login and the /admin gate, the
pages, the purge of old sessions, the admin menu entry, the CLI and the demo users."""

from __future__ import annotations

from flask import Flask

from rental.accounts import cli, demo, web
from rental.accounts.application.commands import LoginLimits, LoginThrottle
from rental.accounts.facade import LOGIN_THROTTLE_KEY, AccountsFacade
from rental.shared.jobs import register_job
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    # The limits are read once, at start-up.
    app.extensions[LOGIN_THROTTLE_KEY] = LoginThrottle(LoginLimits.from_config(app.config))
    web.install_login_and_admin_gate(app)
    app.register_blueprint(web.bp)
    register_job("accounts.purge_sessions", purge_sessions, seconds=3600)
    register_admin_nav(app, "Staff users", "accounts.users", order=80)
    app.cli.add_command(cli.accounts_cli)
    register_seeder("accounts", demo.seed_staff)


def purge_sessions() -> None:
    AccountsFacade().purge_sessions()
