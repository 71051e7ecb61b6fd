"""Storefront: the public catalog pages, composed from several modules' facades — the catalog's
types and categories, pricing's rate cards, and the slot where Booking's availability form
loads. It owns no data and no rules; no feature module imports it (it is the top layer), which
is how catalog shows prices without catalog importing pricing."""
