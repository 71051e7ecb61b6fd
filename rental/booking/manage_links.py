"""Signed manage links: what an e-mail sent later (by the worker) carries instead of the raw
manage token, which Booking never stores (only its hash).

`/r/<reference>/<signed>` is accepted everywhere `/r/<reference>/<token>` is: the signed part
is the order's ID signed with the app's SECRET_KEY (itsdangerous, salt "manage-link") and
expires after MANAGE_LINK_MAX_AGE_DAYS. It grants exactly what the raw token grants, for that
one order; rotating SECRET_KEY invalidates every signed link sent so far."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "manage-link"
DEFAULT_MAX_AGE_DAYS = 400


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign(secret_key: str, order_id: str) -> str:
    return str(_serializer(secret_key).dumps(order_id))


def order_id_of(secret_key: str, token: str, max_age_days: int) -> str | None:
    """The order ID a signed token stands for; None when it is not one of ours, tampered
    with or expired (a raw manage token is never a valid signature)."""
    if "." not in token:
        return None
    try:
        value = _serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    return value if isinstance(value, str) else None
