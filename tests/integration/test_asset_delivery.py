"""Static files and pages over real HTTP (gunicorn, as the Procfile starts it): hashed names
with a year of immutable caching, gzip or brotli as the client accepts, plain names with a
short cache; HTML compressed for visitors, not for signed-in staff (BREACH), never a stream."""

from __future__ import annotations

import gzip
import http.client
import re
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from flask import Response, stream_with_context

from rental.shared.assets import IMMUTABLE, minified
from tests.support.processes import free_port, start_web

ROOT = Path(__file__).resolve().parents[2]
STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda data: data}


@pytest.fixture(scope="module")
def port(database_url, logs_dir) -> Iterator[int]:
    port = free_port()
    web = start_web(database_url, port, logs_dir, workers=2)
    yield port
    web.stop()


def get(port: int, path: str, encoding: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": encoding} if encoding else {"Accept-Encoding": "identity"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def decoded(headers: dict[str, str], body: bytes) -> bytes:
    return DECODE[headers.get("content-encoding")](body)


def layout_assets(port: int) -> list[str]:
    status, _, body = get(port, "/catalog")
    assert status == 200
    return STATIC_URL.findall(body.decode())


def test_the_layout_names_hashed_assets_served_for_a_year_as_immutable(port):
    urls = layout_assets(port)
    assert any("/css/app." in u for u in urls) and any("/htmx-2.0.11.min." in u for u in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.[a-z]+$", url), url
        status, headers, _ = get(port, url)
        assert status == 200, url
        assert headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        # The same protections as the pages (tests/integration/test_web_shell.py).
        assert headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in headers["content-security-policy"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br"), ("identity", None)],
)
def test_assets_come_compressed_as_the_client_accepts(port, accept, expected):
    app_css = next(u for u in layout_assets(port) if "/css/app." in u)
    status, headers, body = get(port, app_css, accept)
    assert status == 200
    assert headers.get("content-encoding") == expected
    assert "Accept-Encoding" in headers["vary"]
    source = (ROOT / "static/css/app.css").read_bytes()
    assert decoded(headers, body) == minified("css/app.css", source)
    if expected:
        assert len(body) < len(source) / 3


def test_plain_names_keep_working_with_a_short_cache(port):
    status, headers, body = get(port, "/static/css/app.css", "gzip")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "max-age=300, public"
    assert decoded(headers, body) == (ROOT / "static/css/app.css").read_bytes()
    assert get(port, "/static/no-such-file.css")[0] == 404


@pytest.mark.parametrize("accept", ["gzip", "br"])
def test_pages_come_compressed(port, accept):
    status, headers, body = get(port, "/catalog", accept)
    assert status == 200
    assert headers["content-encoding"] == accept
    assert "Accept-Encoding" in headers["vary"]
    page = decoded(headers, body).decode()
    assert "<!doctype html>" in page and "/static/css/app." in page
    assert len(body) < len(page) / 2


def test_error_pages_come_compressed_with_their_status(port):
    status, headers, body = get(port, "/no/such/page", "gzip")
    assert status == 404
    assert headers["content-encoding"] == "gzip"
    assert "There is no page at this address" in decoded(headers, body).decode()


def test_a_page_for_a_client_without_compression_is_plain(port):
    status, headers, body = get(port, "/catalog")
    assert status == 200 and "content-encoding" not in headers
    assert body.startswith(b"<!doctype html>")


def test_signed_in_staff_pages_are_not_compressed(admin_client):
    # BREACH: their CSRF token guards a privileged session (README, Security baseline).
    response = admin_client.get("/admin/", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    public = admin_client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert public.headers["Content-Encoding"] == "gzip"  # static files hold no secret


def test_a_streamed_html_response_is_not_compressed(database_url, tmp_path):
    from rental import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOADS_DIR": str(tmp_path)})

    @app.get("/_test/stream")
    def stream() -> Response:
        chunks = ("<p>line</p>\n" * 100 for _ in range(5))
        return Response(stream_with_context(chunks), mimetype="text/html")

    response = app.test_client().get("/_test/stream", headers={"Accept-Encoding": "gzip, br"})
    assert response.is_streamed
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True).count("<p>line</p>") == 500
