"""Idempotency keys for POSTs that create orders or payments.

A key is scoped to the token that sent it. The same key with the same request (the
fingerprint: method, path and canonical JSON body) replays the first response; with a
different request it is refused (422). A key lives 24 hours, then it may be used afresh."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

KEY_LIFETIME = timedelta(hours=24)
KEY_MAX = 255
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, no spaces


def valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key))


def canonical_json(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(method: str, path: str, body: Any) -> str:
    text = f"{method.upper()}\n{path}\n{canonical_json(body)}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class IdempotencyKeyReused(Exception):
    """The key was first used with a different request (422, `idempotency-key-reused`)."""

    message = (
        "This Idempotency-Key was already used with a different request. Send a new key for "
        "a new request, or the very same request to get its first response again."
    )
