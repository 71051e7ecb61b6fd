"""The one blueprint of the accounts pages (endpoints `accounts.*`), shared by the view
modules of this package."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("accounts", __name__)
