"""The read helpers on SQLite and PostgreSQL: the OpenAPI 3.1 document validates and declares
the problems; the root lists links; categories come from CatalogFacade, paginated by cursor
with a Link header, and answer 304 to a matching If-None-Match."""

from __future__ import annotations

import collections
import importlib
import pkgutil
from pathlib import Path

from openapi_spec_validator import validate

from rental.catalog import CatalogFacade, CreateCategory
from rental.extensions import db
from tests.integration.api.conftest import assert_problem


def test_the_openapi_document_is_valid_3_1_and_declares_problems(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # openapi-spec-validator picks the 3.1 schema from "openapi"
    assert document["openapi"] == "3.1.0"
    assert "Problem" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    categories = document["paths"]["/api/v1/categories"]["get"]
    assert categories["security"] == []
    for code in ("401", "422", "429"):
        content = categories["responses"][code]["content"]
        assert list(content) == ["application/problem+json"]
    current = document["paths"]["/api/v1/tokens/current"]["get"]
    assert current["security"] == [{"bearer": []}] and "403" in current["responses"]
    # spectree's own doc pages (CDN assets) are not served.
    for ui in ("swagger", "redoc", "scalar"):
        assert client.get(f"/api/v1/openapi/{ui}/").status_code == 404


def test_the_root_lists_links(client):
    body = client.get("/api/v1").get_json()
    assert body["links"]["categories"] == "/api/v1/categories"
    assert body["openapi"] == "/api/v1/openapi.json"


def test_categories_are_paginated_by_cursor_with_a_link_header(app, client):
    for name in ("Audio", "Lights", "Power"):
        CatalogFacade().create_category(CreateCategory(name=name))
    db.session.remove()
    first = client.get("/api/v1/categories?limit=2")
    assert first.status_code == 200
    body = first.get_json()
    assert [c["name"] for c in body["data"]] == ["Audio", "Lights"]
    assert body["next_cursor"]
    link = first.headers["Link"]
    assert link.startswith("</api/v1/categories?") and link.endswith('>; rel="next"')
    second = client.get(link[1 : link.index(">")]).get_json()
    assert [c["name"] for c in second["data"]] == ["Power"]
    assert second["next_cursor"] is None
    forged = body["next_cursor"][:-2] + "xx"
    problem = assert_problem(client.get(f"/api/v1/categories?cursor={forged}"), 422)
    assert problem["errors"][0]["field"] == "cursor"


def test_categories_answer_304_while_unchanged(app, client):
    CatalogFacade().create_category(CreateCategory(name="Audio"))
    db.session.remove()
    first = client.get("/api/v1/categories")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get("/api/v1/categories", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    CatalogFacade().create_category(CreateCategory(name="Lights"))
    db.session.remove()
    changed = client.get("/api/v1/categories", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_every_schema_model_has_its_own_name(client):
    """The OpenAPI components are named after the model classes: two models of one name in
    different files would make the document describe one of them wrongly."""
    import rental.api.web.schemas as schemas
    from rental.api.web.schemas.common import ApiModel

    pkg = Path(schemas.__file__).parent
    for module in pkgutil.iter_modules([str(pkg)]):
        importlib.import_module(f"{schemas.__name__}.{module.name}")
    names = collections.Counter(m.__name__ for m in _subclasses(ApiModel))
    assert [n for n, count in names.items() if count > 1] == []


def _subclasses(cls: type) -> list[type]:
    return [s for c in cls.__subclasses__() for s in (c, *_subclasses(c))]
