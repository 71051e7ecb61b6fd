"""The API's web layer. core.py: the blueprint (`bp`, /api/v1), the SpecTree (`spec`) and
`operation` (access rule + validation + OpenAPI); helpers.py: json_response (ETag),
pagination, idempotent; problems.py: problem+json for everything under /api/.

Endpoint files register on `bp` when imported: ENDPOINTS lists them (add yours)."""

ENDPOINTS = [
    "rental.api.web.root",
    "rental.api.web.catalog",
    "rental.api.web.orders",
    "rental.api.web.customers",
    "rental.api.web.items",
    "rental.api.web.payments",
    "rental.api.web.availability",
    "rental.api.web.reference",
]
