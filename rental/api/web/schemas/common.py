"""Models every endpoint shares: the problem document (RFC 9457), pagination."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    """Base of every request and response model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class FieldError(ApiModel):
    field: str = Field(description="Where: 'lines[0].quantity', 'limit', 'name'.")
    message: str


class Problem(BaseModel):
    """application/problem+json (RFC 9457). Extra members (e.g. `alternatives` on a 409) are
    allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A relative URI, /api/v1/problems/<slug>; GET it to read more.")
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="422 only: one entry per field at fault."
    )


class PageQuery(ApiModel):
    """Query of a paginated list: subclass it to add filters."""

    limit: int = Field(default=25, ge=1, le=100, description="Items per page (1–100).")
    cursor: str | None = Field(
        default=None,
        max_length=500,
        description="Opaque: the `next_cursor` of the previous page.",
    )


class Page(ApiModel):
    """`data` + `next_cursor` (null on the last page); subclass with a typed `data`."""

    next_cursor: str | None = None


class MoneyAmount(ApiModel):
    """An amount of money: a decimal string (never a float) and an ISO 4217 currency."""

    amount: str = Field(description="Decimal, e.g. '45.00'.", examples=["45.00"])
    currency: str = Field(description="ISO 4217, e.g. 'EUR'.", examples=["EUR"])
