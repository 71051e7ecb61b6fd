"""pydantic v2 models of the API's requests and responses, one file per area (common.py:
problems, pagination; catalog.py, orders.py, ...). Subclass `ApiModel`: unknown fields are
refused (422), so a typo never passes silently."""
