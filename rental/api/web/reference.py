"""GET /api/v1/docs: the API reference, Swagger UI (vendored and pinned in
static/vendor/swagger-ui-<version>/) rendering /api/v1/openapi.json under the site's CSP."""

from __future__ import annotations

from flask import Response, render_template

from rental.api.web.core import PREFIX, bp, public_resource
from rental.api.web.root import LINKS

SWAGGER_UI_VERSION = "5.35.0"
LINKS["docs"] = f"{PREFIX}/docs"


@bp.get("/docs")
@public_resource
def reference() -> Response:
    html = render_template(
        "api/reference.html", version=SWAGGER_UI_VERSION, openapi_url=f"{PREFIX}/openapi.json"
    )
    return Response(html, mimetype="text/html")
