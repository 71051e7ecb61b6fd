"""The API root and the current token."""

from __future__ import annotations

from pydantic import Field

from rental.api.web.schemas.common import ApiModel


class ApiIndex(ApiModel):
    name: str
    version: str
    openapi: str = Field(description="The OpenAPI 3.1 document.")
    links: dict[str, str] = Field(description="Resource name → its address.")


class CurrentToken(ApiModel):
    name: str
    prefix: str = Field(description="The token's first characters, for recognising it.")
    scopes: list[str] = Field(description="As granted (admin implies read and orders:write).")
    effective_scopes: list[str]
