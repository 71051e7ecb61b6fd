"""Create, list, revoke and authenticate API tokens."""

from __future__ import annotations

from datetime import datetime

from rental.api.domain.tokens import (
    LAST_USED_EVERY,
    ApiToken,
    NewToken,
    display_prefix,
    hash_secret,
    looks_like_token,
    new_secret,
)
from rental.api.infrastructure.repositories import TokenRepository, touch_token
from rental.shared.db import db, unit_of_work
from rental.shared.errors import NotFoundError


def create_token(new: NewToken, now: datetime, actor: str) -> tuple[str, str]:
    """(id, secret): the secret is returned this once and never stored."""
    secret = new_secret()
    with unit_of_work() as session:
        token_id = TokenRepository(session).add(
            new, display_prefix(secret), hash_secret(secret), now, actor
        )
    return token_id, secret


def list_tokens() -> list[ApiToken]:
    return TokenRepository(db.session()).list()


def get_token(token_id: str) -> ApiToken:
    token = TokenRepository(db.session()).get(token_id[:36])
    if token is None:
        raise NotFoundError("There is no such API token.")
    return token


def revoke_token(token_id: str, now: datetime) -> None:
    get_token(token_id)
    with unit_of_work() as session:
        TokenRepository(session).revoke(token_id, now)


def authenticate(secret: str, now: datetime) -> ApiToken | None:
    """The active token with this secret, or None. Marks it used (at most once a minute)."""
    if not looks_like_token(secret):
        return None
    token = TokenRepository(db.session()).by_hash(hash_secret(secret))
    if token is None or not token.active:
        return None
    if token.needs_touch(now):
        touch_token(token.id, now, now - LAST_USED_EVERY)
    return token
