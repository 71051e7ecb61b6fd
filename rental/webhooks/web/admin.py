"""/admin/webhooks: staff see the endpoints and their deliveries; administrators create, edit,
enable/disable and delete them, rotate a secret, send a test event and redeliver (POST +
CSRF). A new or rotated secret is shown once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.shared.errors import ValidationError
from rental.shared.web import admin_only, current_actor, render
from rental.webhooks.domain.endpoints import DESCRIPTION_MAX, parse_form
from rental.webhooks.domain.events import PUBLIC_TYPES
from rental.webhooks.domain.retries import SCHEDULE
from rental.webhooks.facade import WebhooksFacade

bp = Blueprint("webhooks_admin", __name__, url_prefix="/admin/webhooks")

_EMPTY = {"url": "", "description": "", "event_types": [], "customers": False, "active": True}


def _groups() -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for t in PUBLIC_TYPES:
        groups.setdefault(t.group, []).append(t)
    return list(groups.items())


def _form_data() -> dict[str, Any]:
    return {
        "url": request.form.get("url", "")[:2100],
        "description": request.form.get("description", "")[:500],
        "event_types": [t[:80] for t in request.form.getlist("event_types")[:100]],
        "customers": request.form.get("customers") == "on",
        "active": request.form.get("active") == "on",
    }


def _parse(data: dict[str, Any]):
    return parse_form(
        data["url"], data["description"], data["event_types"], data["customers"], data["active"]
    )


def _list_page(
    form: dict[str, Any], errors: dict[str, str], status: int = 200, **extra: Any
) -> Response:
    facade = WebhooksFacade()
    return render(
        "webhooks/admin_list.html",
        status=status,
        endpoints=facade.list_endpoints(),
        pending=facade.pending_counts(),
        disabled=facade.disabled_automatically(),
        groups=_groups(),
        form=form,
        errors=errors,
        description_max=DESCRIPTION_MAX,
        **extra,
    )


def _endpoint_page(
    endpoint_id: str,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    new_secret: str = "",
) -> Response:
    facade = WebhooksFacade()
    endpoint = facade.get_endpoint(endpoint_id)
    if form is None:
        form = {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": list(endpoint.event_types),
            "customers": endpoint.customers_scope,
            "active": endpoint.active,
        }
    return render(
        "webhooks/admin_endpoint.html",
        status=status,
        endpoint=endpoint,
        deliveries=facade.deliveries(endpoint.id),
        groups=_groups(),
        form=form,
        errors=errors or {},
        description_max=DESCRIPTION_MAX,
        new_secret=new_secret,
        schedule=SCHEDULE,
    )


@bp.get("")
def endpoint_list() -> Response:
    return _list_page(dict(_EMPTY), {})


@bp.post("")
@admin_only
def create_endpoint() -> Response:
    data = _form_data()
    try:
        endpoint_id, secret = WebhooksFacade().create_endpoint(
            _parse(data), WebhooksFacade.now(), current_actor()
        )
    except ValidationError as exc:
        return _list_page(data, exc.errors or {"url": exc.message}, 422)
    # The secret is shown now and on "rotate" only.
    return _endpoint_page(endpoint_id, status=201, new_secret=secret)


@bp.get("/<endpoint_id>")
def endpoint(endpoint_id: str) -> Response:
    return _endpoint_page(endpoint_id[:40])


@bp.post("/<endpoint_id>")
@admin_only
def update_endpoint(endpoint_id: str) -> Response:
    data = _form_data()
    try:
        WebhooksFacade().update_endpoint(endpoint_id[:40], _parse(data), WebhooksFacade.now())
    except ValidationError as exc:
        return _endpoint_page(endpoint_id[:40], data, exc.errors or {"url": exc.message}, 422)
    flash("Endpoint saved.", "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/rotate")
@admin_only
def rotate_secret(endpoint_id: str) -> Response:
    secret = WebhooksFacade().rotate_secret(endpoint_id[:40], WebhooksFacade.now())
    return _endpoint_page(endpoint_id[:40], new_secret=secret)


@bp.post("/<endpoint_id>/enable")
@admin_only
def enable(endpoint_id: str) -> Response:
    WebhooksFacade().set_active(endpoint_id[:40], True, WebhooksFacade.now())
    flash("Endpoint enabled: its waiting deliveries go out now.", "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/disable")
@admin_only
def disable(endpoint_id: str) -> Response:
    WebhooksFacade().set_active(endpoint_id[:40], False, WebhooksFacade.now())
    flash("Endpoint disabled: nothing is sent to it until it is enabled again.", "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/delete")
@admin_only
def delete(endpoint_id: str) -> Response:
    WebhooksFacade().delete_endpoint(endpoint_id[:40])
    flash("Endpoint deleted with its deliveries.", "success")
    return redirect(url_for("webhooks_admin.endpoint_list"), code=303)


@bp.post("/<endpoint_id>/test")
@admin_only
def send_test(endpoint_id: str) -> Response:
    WebhooksFacade().send_test(endpoint_id[:40], WebhooksFacade.now())
    flash("Test event queued: it is sent within a few seconds.", "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/deliveries/<delivery_id>/redeliver")
@admin_only
def redeliver(endpoint_id: str, delivery_id: str) -> Response:
    WebhooksFacade().redeliver(endpoint_id[:40], delivery_id[:20], WebhooksFacade.now())
    flash("Queued again as a new delivery (same content).", "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id), code=303)
