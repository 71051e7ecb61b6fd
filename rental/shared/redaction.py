"""Keeping secrets in URLs out of logs. Pure Python.

A customer's manage link (`/r/<reference>/<token>`, and the review and confirmation pages of
a booking) is the key to that booking: whoever reads it can cancel it. Access logs and error
logs get the path with the token replaced by `[redacted]`; the reference stays, so a log line
can still be matched to a booking."""

from __future__ import annotations

import re

# /r/<reference>/<token>..., /book/review/<reference>/<token>, /book/confirmed/<reference>/<token>
_SECRET_PATH = re.compile(r"(/(?:r|book/review|book/confirmed)/[^/?#\s\"]+/)[^/?#\s\"]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` (a path, a URL, a request line, a Referer) with every manage token blanked."""
    return _SECRET_PATH.sub(lambda m: m.group(1) + REDACTED, text)
