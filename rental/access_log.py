"""gunicorn's logger with the secrets in URLs blanked (see rental.shared.redaction).

A customer's manage link is the key to their booking; the access log (request line, path,
Referer, a Location header, any other header or environ value a log format may name) gets
`/r/<reference>/[redacted]` instead. Used by gunicorn.conf.py (`logger_class`)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from rental.shared.redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}
