"""The staff dashboard and the outbox page (dead letters can be inspected and replayed)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest

from rental.shared.outbox import OutboxProcessor
from rental.shared.web import render

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _outbox() -> OutboxProcessor:
    return current_app.extensions["outbox"]


@bp.get("/")
def dashboard() -> Response:
    return render("admin/dashboard.html", outbox=_outbox().stats())


@bp.get("/outbox")
def outbox() -> Response:
    processor = _outbox()
    return render(
        "admin/outbox.html",
        stats=processor.stats(),
        dead=processor.dead_messages(),
    )


@bp.post("/outbox/requeue")
def outbox_requeue() -> Response:
    raw = request.form.get("message_id", "").strip()
    if raw and not raw.isdigit():
        raise BadRequest("The message id must be a number.")
    count = _outbox().requeue(int(raw) if raw else None)
    flash(f"Requeued {count} message{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("admin.outbox"), code=303)
