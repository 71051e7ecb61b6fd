"""Staff forms for an order's deposit, on the staff reservation page's "Money" panel: release
it in full, or keep part of it for damage (a note, an optional photo) and refund the rest;
and the damage photos, served to staff only. Bad input is answered by the app's error pages
(422 next to the message, 409 when released already) — nothing is written then."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, request, send_file

from rental.payments.application.deposits import ReleaseDeposit
from rental.payments.domain.ledger import Method, choice
from rental.payments.facade import PaymentsFacade
from rental.payments.infrastructure.damage_photos import damage_photo_store
from rental.payments.web import _amount, _done, bp
from rental.shared.errors import ValidationError
from rental.shared.images import FILE_NAME, MEDIA_TYPES
from rental.shared.images.processing import ProcessedImage, process_upload
from rental.shared.images.web import image_limits, read_upload
from rental.shared.web import current_actor

RELEASE_ENDPOINT = "payments_admin.release_deposit"


def _photo() -> ProcessedImage | None:
    upload = read_upload("photo")
    if upload is None:
        return None
    return process_upload(*upload, limits=image_limits(), field="photo")


@bp.post("/orders/<order_id>/deposit/release")
def release_deposit(order_id: str) -> Response:
    """`mode` full: release it all; keep: keep `keep` for damage (`note` required, `photo`
    optional) and refund the rest. `method`: how the refund goes back."""
    mode = request.form.get("mode", "")
    if mode not in ("full", "keep"):
        raise ValidationError("Choose to release the deposit in full or to keep part of it.")
    method = choice(Method, request.form.get("method"), field="method", label="refund method")
    keep = _amount("keep", "amount kept for damage") if mode == "keep" else Decimal(0)
    if mode == "keep" and keep == 0:
        raise ValidationError(
            "The amount kept must be more than zero (or release the deposit in full).",
            field="keep",
        )
    photo = _photo() if mode == "keep" else None
    result = PaymentsFacade().release_deposit(
        ReleaseDeposit(
            order_id=order_id,
            keep=keep,
            method=method,
            actor=current_actor(),
            note=request.form.get("note", "") if mode == "keep" else "",
        ),
        photo,
    )
    if result.retained.amount > 0:
        message = (
            f"Deposit released: {result.retained.format()} kept for damage, "
            f"{result.refunded.format()} refunded."
        )
    else:
        message = f"Deposit released in full: {result.refunded.format()} refunded."
    return _done(order_id, message)


@bp.get("/damage-photos/<name>")
def damage_photo(name: str) -> Response:
    match = FILE_NAME.fullmatch(name)
    path = damage_photo_store().path(name) if match else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype=MEDIA_TYPES[match.group(3)], conditional=True, etag=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
