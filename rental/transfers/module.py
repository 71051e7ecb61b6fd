"""Wire Transfers into the app: the import pages and the catalog export (web.py), the menu
entry next to the exports."""

from __future__ import annotations

from flask import Flask

from rental.shared.web import register_admin_nav
from rental.transfers.web import init_web


def init_app(app: Flask) -> None:
    init_web(app)
    register_admin_nav(app, "CSV import", "transfers_admin.index", order=88)
