"""Public pages that belong to no single module: the home page and a health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from rental.extensions import db
from rental.shared.web import render

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> Response:
    return render("home.html")


@bp.get("/healthz")
def health() -> tuple[Response, int]:
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok"), 200
