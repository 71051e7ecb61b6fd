"""/admin/api-tokens (administrators only): create a token (shown once), list, revoke after a
confirmation page. Looks like /admin/calendar-feeds."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.api.domain.tokens import NAME_MAX, SCOPE_LABELS, SCOPES, NewToken, parse_new_token
from rental.api.facade import ApiFacade
from rental.shared.errors import ValidationError
from rental.shared.time_range import utcnow
from rental.shared.web import admin_only, current_actor, render

admin_bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-tokens")


def _page(
    form: dict[str, object], errors: dict[str, str], status: int = 200, new_token: str = ""
) -> Response:
    return render(
        "api/admin_tokens.html",
        status=status,
        tokens=ApiFacade().list_tokens(),
        scopes=SCOPES,
        scope_labels=SCOPE_LABELS,
        form=form,
        errors=errors,
        name_max=NAME_MAX,
        new_token=new_token,
    )


_BLANK = {"name": "", "scopes": ["read"]}


@admin_bp.get("")
@admin_only
def token_list() -> Response:
    return _page(_BLANK, {})


@admin_bp.post("")
@admin_only
def create_token() -> Response:
    scopes = [s[:40] for s in request.form.getlist("scopes")[:10]]
    form: dict[str, object] = {"name": request.form.get("name", "")[:500], "scopes": scopes}
    try:
        new: NewToken = parse_new_token(str(form["name"]), scopes)
    except ValidationError as exc:
        return _page(form, exc.errors, 422)
    _, secret = ApiFacade().create_token(new, utcnow(), current_actor())
    # Shown now and never again: only its SHA-256 is kept.
    return _page(_BLANK, {}, 201, new_token=secret)


@admin_bp.get("/<token_id>/revoke")
@admin_only
def confirm_revoke(token_id: str) -> Response:
    return render("api/admin_token_revoke.html", token=ApiFacade().get_token(token_id))


@admin_bp.post("/<token_id>/revoke")
@admin_only
def revoke_token(token_id: str) -> Response:
    ApiFacade().revoke_token(token_id, utcnow())
    flash("Token revoked: requests with it are refused from now on.", "success")
    return redirect(url_for("api_admin.token_list"), code=303)
