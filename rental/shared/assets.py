"""Static files: content-hashed copies, precompressed with gzip and brotli, served by WhiteNoise
with far-future immutable caching; templates name them through `asset_url('css/app.css')`.

The build step runs at start-up (`init_assets`) and is cheap when nothing changed: every file of
static/ is hashed, and only copies that do not exist yet are written and compressed (with
WhiteNoise's own compressor). Hashed names never name other bytes, so a browser keeps them for
a year without asking again; the unhashed names keep working with a short cache for links from
outside (e-mails, bookmarks, other sites). Several gunicorn workers start at once: a file lock
makes one of them build while the others wait, and every file is written to a temporary name
and renamed into place, so WhiteNoise never sees half a file."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, Response, current_app, g, request, session, url_for
from flask_compress import Compress
from werkzeug.datastructures import Headers
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from rental.shared.web import SECURITY_HEADERS

MANIFEST = "manifest.json"
EXTENSION = "assets.manifest"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_MAX_AGE = 300  # seconds: unhashed names (links from outside) are checked again soon
DIGEST_LENGTH = 12
# "css/app.0123456789ab.css": a name the build derived from the content
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{DIGEST_LENGTH}}}\.[A-Za-z0-9]+$")


def hashed_name(relative: str, data: bytes) -> str:
    """'css/app.css' -> 'css/app.<first 12 hex digits of the sha256>.css'."""
    digest = hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]
    stem, dot, suffix = relative.rpartition(".")
    if not dot or "/" in suffix:  # no extension: append the digest
        return f"{relative}.{digest}"
    return f"{stem}.{digest}.{suffix}"


def build_assets(source: Path, target: Path) -> dict[str, str]:
    """Copy every file of `source` to `target` under its own name (as it is) and under its
    hashed name (our own CSS and JS minified), each with .gz and .br beside it where that makes
    it smaller; write and return the manifest (source name -> hashed name)."""
    target.mkdir(parents=True, exist_ok=True)
    compressor = Compressor(quiet=True)
    manifest: dict[str, str] = {}
    with _lock(target.with_name(target.name + ".lock")):
        for path in sorted(_files(source)):
            relative = path.relative_to(source).as_posix()
            data = path.read_bytes()
            built = minified(relative, data)
            manifest[relative] = hashed_name(relative, built)
            copies = {target / manifest[relative]: built, target / relative: data}
            variants: dict[bytes, dict[str, bytes]] = {}  # brotli at its best level is slow:
            for destination, content in copies.items():  # each content compressed once
                if not _holds(destination, content):
                    if content not in variants:
                        variants[content] = _compressed(path.name, content, compressor)
                    _place(destination, content, variants[content])
        _write_atomically(
            target / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode()
        )
    return manifest


def minified(relative: str, data: bytes) -> bytes:
    """Our own CSS and JS without comments and spare whitespace (rcssmin / rjsmin: they only
    remove, never rewrite); vendored files come minified already."""
    if relative.startswith("vendor/") or ".min." in relative:
        return data
    if relative.endswith(".css"):
        return rcssmin.cssmin(data.decode()).encode()
    if relative.endswith(".js"):
        return rjsmin.jsmin(data.decode()).encode()
    return data


def _files(source: Path) -> Iterator[Path]:
    for path in source.rglob("*"):
        if path.is_file() and not any(part.startswith(".") for part in path.parts):
            yield path


def _holds(path: Path, data: bytes) -> bool:
    return path.is_file() and path.read_bytes() == data


def _compressed(name: str, data: bytes, compressor: Compressor) -> dict[str, bytes]:
    variants: dict[str, bytes] = {}
    if compressor.should_compress(name):
        for suffix, compress in ((".gz", compressor.compress_gzip), (".br", _brotli)):
            packed = compress(data)
            if len(packed) <= 0.95 * len(data):  # WhiteNoise's rule: only when it pays
                variants[suffix] = packed
    return variants


def _place(destination: Path, data: bytes, variants: dict[str, bytes]) -> None:
    """Write the file with its compressed variants (and without stale ones)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Variants first: WhiteNoise pairs a file with the .gz/.br it finds beside it, and a file
    # that holds the right bytes means its variants are complete (a crash leaves it stale).
    for suffix in (".gz", ".br"):
        variant = destination.with_name(destination.name + suffix)
        if suffix in variants:
            _write_atomically(variant, variants[suffix])
        elif variant.exists():
            variant.unlink()
    _write_atomically(destination, data)


def _brotli(data: bytes) -> bytes:
    return Compressor.compress_brotli(data)


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = ROOT / "build" / "static"


def main() -> None:
    """The build step alone (`make assets` ; `make install` and `make test` run it), so the
    first start of a fresh clone does not spend its time compressing)."""
    manifest = build_assets(ROOT / "static", DEFAULT_BUILD_DIR)
    print(f"{len(manifest)} static files hashed and compressed into {DEFAULT_BUILD_DIR}")


def is_hashed(path: str, url: str) -> bool:
    return bool(HASHED_NAME.search(url))


def _static_headers(headers: Headers, path: str, url: str) -> None:
    if is_hashed(path, url):
        headers["Cache-Control"] = IMMUTABLE  # a year (WhiteNoise's own default is ten)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


def init_assets(app: Flask, build_dir: Path) -> None:
    """Build the hashed, compressed copies of static/ into `build_dir`, serve them with
    WhiteNoise in front of the app, and give templates `asset_url()`."""
    source = Path(app.static_folder or "static")
    app.extensions[EXTENSION] = build_assets(source, build_dir)
    prefix = (app.static_url_path or "/static").strip("/") + "/"
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(build_dir),
        prefix=prefix,
        max_age=SHORT_MAX_AGE,
        autorefresh=False,
        immutable_file_test=is_hashed,
        add_headers_function=_static_headers,
        allow_all_origins=False,  # same-origin only, as before (CORP says so too)
    )
    app.add_template_global(asset_url)


def asset_url(filename: str) -> str:
    """The URL of a file of static/ under its content-hashed name (its plain name when the
    build does not know it, e.g. a file added after start-up)."""
    manifest: dict[str, str] = current_app.extensions.get(EXTENSION, {})
    return url_for("static", filename=manifest.get(filename, filename))


# --- HTML -------------------------------------------------------------------------------------

HTML_COMPRESSION = {
    "COMPRESS_REGISTER": False,  # `_compress_html` decides per response
    "COMPRESS_MIMETYPES": ["text/html"],  # not JSON: the API's ETags must stay as they are
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,  # per request: ~1 ms for the catalog, ~82 % smaller
    "COMPRESS_LEVEL": 6,
    "COMPRESS_STREAMS": False,  # streamed CSV exports go out chunk by chunk, as they are
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,  # no Range or 304 handling added to pages
}


def init_html_compression(app: Flask) -> None:
    """Compress HTML pages with brotli or gzip when the client accepts them. Call before any
    other after_request hook is registered: Flask runs them last-registered first, so this one
    sees the final body."""
    for key, value in HTML_COMPRESSION.items():
        app.config.setdefault(key, value)
    compress = Compress(app)

    @app.after_request
    def _compress_html(response: Response) -> Response:
        if _signed_in():
            # BREACH: staff pages pair a CSRF token bound to a privileged session with text
            # echoed from the request (searches); they are left uncompressed (README, Security).
            return response
        if 400 <= response.status_code < 500:
            # Flask-Compress only takes 2xx; our 4xx pages and htmx fragments (422 "choose
            # dates", 404) are full bodies worth compressing too.
            status = response.status
            response.status_code = 200
            response = compress.after_request(response)
            response.status = status
            return response
        return compress.after_request(response)


def html_encoding() -> str | None:
    """The encoding this request's HTML goes out in: the first of `COMPRESS_ALGORITHM` the
    client accepts (q-values honoured); None: plain."""
    return request.accept_encodings.best_match(current_app.config["COMPRESS_ALGORITHM"])


def compress_html(data: bytes, encoding: str) -> bytes:
    """`data` compressed with the settings `_compress_html` uses, for answers kept compressed
    (rental.shared.page_cache)."""
    config = current_app.config
    if encoding == "br":
        return brotli.compress(
            data,
            mode=config["COMPRESS_BR_MODE"],
            quality=config["COMPRESS_BR_LEVEL"],
            lgwin=config["COMPRESS_BR_WINDOW"],
            lgblock=config["COMPRESS_BR_BLOCK"],
        )
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=config["COMPRESS_LEVEL"], mtime=0)
    raise ValueError(f"HTML is not compressed with {encoding!r}")


def _signed_in() -> bool:
    """Whether a staff member is signed in, without loading the user when the request has not:
    Flask-Login's session protection would then write `_fresh` into every visitor's session
    and add a Set-Cookie to an answer that must look the same for every visitor (e.g. "find my
    booking": known and unknown addresses get identical responses)."""
    if current_app.extensions.get("login_manager") is None:
        return False
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    return "_user_id" in session
