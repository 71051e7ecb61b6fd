"""The storefront's pages: the public catalog (catalog.py) and what search engines and link
previews read about it (seo.py: titles, descriptions, canonical addresses, Open Graph and
schema.org data, and /sitemap.xml)."""

from rental.storefront.web.catalog import bp
from rental.storefront.web.seo import sitemap_bp

__all__ = ["bp", "sitemap_bp"]
