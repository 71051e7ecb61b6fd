"""Images on the web: the store of this app, the upload size limit, the `/media/<name>` route
and the `image_src` template helper.

Requests are limited to `MAX_CONTENT_LENGTH` (2 MB); the endpoints a module names with
`accept_uploads(app, endpoint)` take up to `UPLOAD_MAX_MB` plus room for the form's other
fields. Anything bigger is a 413 page (htmx: the notice) that says what the limit is."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request, send_file, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from rental.shared.images import FILE_NAME, MEDIA_TYPES, PREVIEW_WIDTH, StoredImage
from rental.shared.images.processing import ImageLimits
from rental.shared.images.store import FileSystemImageStore, ImageStore
from rental.shared.web import error_response

STORE = "images.store"
UPLOAD_ENDPOINTS = "images.upload_endpoints"
FORM_ROOM = 512 * 1024  # the other fields of a form that carries a photo
YEAR = 365 * 24 * 3600

bp = Blueprint("media", __name__)


@bp.get("/media/<name>")
def file(name: str) -> Response:
    match = FILE_NAME.fullmatch(name)
    path = image_store().path(name) if match else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype=MEDIA_TYPES[match.group(3)], conditional=True, etag=True)
    # The name is derived from the content: it never names other bytes, so caches keep it.
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-site"
    return response


def init_images(app: Flask) -> None:
    app.extensions[STORE] = FileSystemImageStore(app.config["UPLOADS_DIR"])
    app.extensions.setdefault(UPLOAD_ENDPOINTS, set())
    app.register_blueprint(bp)
    app.add_template_global(image_src)
    # First of all before_request hooks: CSRF and the input guard read the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


def accept_uploads(app: Flask, *endpoints: str) -> None:
    app.extensions.setdefault(UPLOAD_ENDPOINTS, set()).update(endpoints)


def _upload_limit() -> None:
    if request.endpoint in current_app.extensions.get(UPLOAD_ENDPOINTS, ()):
        request.max_content_length = image_limits().max_bytes + FORM_ROOM


def _too_large(exc: RequestEntityTooLarge) -> Response:
    return error_response(
        413,
        "Too large",
        f"What you sent is larger than this page accepts. A photo may be at most "
        f"{image_limits().max_megabytes}: go back, choose a smaller file and try again.",
    )


def image_store() -> ImageStore:
    return current_app.extensions[STORE]


def image_limits() -> ImageLimits:
    return ImageLimits(max_bytes=current_app.config["UPLOAD_MAX_MB"] * 1024 * 1024)


def read_upload(field: str) -> tuple[bytes, str] | None:
    """The bytes and the (untrusted) name of the file sent in `field`; None when no file was
    chosen. Reads at most one byte more than the limit."""
    upload: FileStorage | None = request.files.get(field)
    if upload is None or (not upload.filename and upload.content_length == 0):
        return None
    data = upload.stream.read(image_limits().max_bytes + 1)
    if not data and not upload.filename:
        return None
    return data, upload.filename or ""


def image_src(image: StoredImage, width: int, extension: str = "webp") -> str:
    return url_for("media.file", name=image.file_name(width, extension))


def preview_url(image: StoredImage) -> str:
    """The JPEG for link previews (made absolute by the page's meta)."""
    return image_src(image, PREVIEW_WIDTH, "jpg")
