"""Cursor pagination over a facade that pages by number (customers, invoices: the staff lists'
`page`/`page_size`, in the list's own order). The cursor is the next page's number and the
`limit` it was made for, signed like every cursor (helpers.encode_cursor); another `limit`
with it is a 422 on `cursor`. A row added before the cursor's page while a client walks the
list can shift it by one — as on the staff list."""

from __future__ import annotations

from rental.api.web.helpers import decode_cursor, encode_cursor
from rental.api.web.problems import ApiProblem
from rental.api.web.schemas.common import PageQuery


def page_number(query: PageQuery) -> int:
    """The page the request asks for: 1 without a cursor."""
    state = decode_cursor(query.cursor)
    if state is None:
        return 1
    page, limit = state.get("page"), state.get("limit")
    if not isinstance(page, int) or page < 1 or limit != query.limit:
        message = (
            f"This cursor was made for limit={limit}: keep the limit while following "
            "`next_cursor`, or start again without a cursor."
            if isinstance(page, int) and isinstance(limit, int)
            else "This cursor is not valid: use the `next_cursor` of the previous page."
        )
        raise ApiProblem(
            422, message, slug="validation", errors=[{"field": "cursor", "message": message}]
        )
    return page


def next_cursor(query: PageQuery, page: int, has_next: bool) -> str | None:
    return encode_cursor({"page": page + 1, "limit": query.limit}) if has_next else None
