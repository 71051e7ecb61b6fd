"""/admin/imports: administrators upload a CSV of equipment types or items, see what it would
do row by row (preview: nothing written), then apply it in one transaction.
/admin/catalog/types.csv: the equipment types with specs and rates, in the import's format.

    GET  /admin/imports                      the form (kind, file), the limits, the exports
    POST /admin/imports                      upload → preview (422 when the file is refused)
    POST /admin/imports/<token>/apply        apply all rows, or none (409: shown again)
    GET  /admin/catalog/types.csv            the catalog export (staff)"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from rental.shared.errors import ValidationError
from rental.shared.spreadsheet import csv_download
from rental.shared.time_range import utcnow
from rental.shared.web import admin_only, current_actor, render
from rental.transfers.application.imports import CREATE, UNCHANGED, UPDATE, ImportReport
from rental.transfers.domain.csv_files import MAX_BYTES, MAX_ROWS, TYPES_CSV_HEADER, Kind
from rental.transfers.facade import HEADERS, TransfersFacade

bp = Blueprint("transfers_admin", __name__, url_prefix="/admin/imports")
export_bp = Blueprint("transfers_export", __name__, url_prefix="/admin/catalog")

FORM_ROOM = 64 * 1024  # the form's other fields around the file


def _page(
    kind: str = "",
    errors: dict[str, str] | None = None,
    report: ImportReport | None = None,
    token: str = "",
    status: int = 200,
) -> Response:
    return render(
        "transfers/admin_imports.html",
        status=status,
        kinds=list(Kind),
        kind=kind,
        errors=errors or {},
        report=report,
        token=token,
        headers={k.value: ", ".join(h) for k, h in HEADERS.items()},
        max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
        CREATE=CREATE,
        UPDATE=UPDATE,
        UNCHANGED=UNCHANGED,
    )


def _kind(raw: str) -> Kind | None:
    try:
        return Kind(raw)
    except ValueError:
        return None


@bp.get("")
@admin_only
def index() -> Response:
    return _page(kind=request.args.get("kind", "types")[:10])


@bp.post("")
@admin_only
def upload() -> Response:
    raw_kind = request.form.get("kind", "")[:10]
    kind = _kind(raw_kind)
    errors: dict[str, str] = {}
    if kind is None:
        errors["kind"] = "Choose what the file holds: equipment types or items."
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = "Choose a CSV file to upload."
    if errors or kind is None or upload is None:
        return _page(raw_kind, errors, status=422)
    facade = TransfersFacade()
    token = ""
    try:
        token = facade.keep_upload(upload.stream, kind)
        report = facade.preview(token, kind, current_actor())
    except ValidationError as exc:
        if token:  # a file that cannot be read is not kept
            facade.forget_upload(token, kind)
        return _page(kind.value, {"file": exc.message}, status=422)
    return _page(kind.value, report=report, token=token, status=200 if report.ok else 422)


@bp.post("/<token>/apply")
@admin_only
def apply(token: str) -> Response:
    kind = _kind(request.form.get("kind", "")[:10])
    if kind is None:
        return _page("", {"file": "Choose what the file holds, and upload it again."}, status=422)
    facade = TransfersFacade()
    try:
        report = facade.apply(token[:64], kind, current_actor())
    except ValidationError as exc:
        return _page(kind.value, {"file": exc.message}, status=409)
    if not report.applied:
        # Something changed since the preview (or the file is wrong): nothing was written.
        return _page(kind.value, report=report, token=token, status=409)
    flash(
        f"Imported {len(report.rows)} rows: {report.count(CREATE)} created, "
        f"{report.count(UPDATE)} updated, {report.count(UNCHANGED)} unchanged.",
        "success",
    )
    return redirect(url_for("transfers_admin.index", kind=kind.value), code=303)


@export_bp.get("/types.csv")
def export_types() -> Response:
    """Every equipment type with its specifications and rates (what the import reads)."""
    rows = TransfersFacade().export_types()
    return csv_download(f"equipment-types-{utcnow():%Y-%m-%d}.csv", TYPES_CSV_HEADER, rows)


def upload_limit() -> None:
    """Before CSRF reads the form (first of the app's hooks): the upload may be MAX_BYTES."""
    if request.endpoint == "transfers_admin.upload":
        request.max_content_length = MAX_BYTES + FORM_ROOM


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Response:
    """Refused from its Content-Length (or while read): the page says what the limit is."""
    message = (
        f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; import at most "
        f"{MAX_ROWS:,} rows at a time (split the file)."
    )
    return _page("", {"file": message}, status=413)


def init_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(export_bp)
    app.before_request_funcs.setdefault(None, []).insert(0, upload_limit)
