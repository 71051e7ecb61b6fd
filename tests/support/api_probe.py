"""A probe plugin (RENTAL_PLUGINS) for the API tests: /api/v1/_probe/things creates a row
through `idempotent` (as an order would be created), /api/v1/_probe/fail/<kind> raises the
domain errors and a crash. Its table is created by the test (`create_probe_things`)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response
from pydantic import Field
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from rental.api.web.core import ORDERS_WRITE, PUBLIC, operation
from rental.api.web.helpers import Created, idempotent
from rental.api.web.schemas.common import ApiModel
from rental.extensions import csrf
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError, NotFoundError, ValidationError

metadata = MetaData()
things = Table(
    "api_probe_things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(100), nullable=False),
)


def create_probe_things(engine) -> None:
    metadata.create_all(engine)


def count_things() -> int:
    n = db.session.execute(select(func.count()).select_from(things)).scalar_one()
    db.session.rollback()
    return n


class ThingLine(ApiModel):
    quantity: int = Field(ge=1)


class ThingIn(ApiModel):
    label: str = Field(min_length=1, max_length=100)
    lines: list[ThingLine] = Field(default_factory=list)


class ThingOut(ApiModel):
    id: int
    label: str


bp = Blueprint("api_probe", __name__, url_prefix="/api/v1/_probe")


@bp.post("/things")
@operation(ORDERS_WRITE, json=ThingIn, ok=ThingOut, status=201, errors=(409,))
def create_thing(json: ThingIn) -> Response:
    """Create a thing (at most once per Idempotency-Key)."""

    def create() -> Created:
        if json.label == "conflict":
            raise ConflictError("Only 2 left for that period.")
        with unit_of_work() as session:  # joins the key's transaction, like a facade
            new_id = session.execute(
                insert(things).values(label=json.label).returning(things.c.id)
            ).scalar_one()
        return Created(ThingOut(id=new_id, label=json.label), location=f"/things/{new_id}")

    return idempotent(create)


@bp.get("/fail/<kind>")
@operation(PUBLIC, errors=(404, 409), ok=ThingOut)
def fail(kind: str) -> Response:
    errors = {
        "validation": ValidationError("The end must be after the start.", field="end"),
        "notfound": NotFoundError("No equipment type 'xyz'."),
        "conflict": ConflictError("Only 2 left for that period."),
    }
    if kind in errors:
        raise errors[kind]
    raise RuntimeError("secret internal detail")


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
