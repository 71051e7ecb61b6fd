"""ApiFacade: the API module's use cases (tokens, idempotent runs) for its own web layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rental.api.application import idempotency, tokens
from rental.api.application.idempotency import StoredResponse
from rental.api.domain.tokens import ApiToken, NewToken


class ApiFacade:
    def create_token(self, new: NewToken, now: datetime, actor: str) -> tuple[str, str]:
        return tokens.create_token(new, now, actor)

    def list_tokens(self) -> list[ApiToken]:
        return tokens.list_tokens()

    def get_token(self, token_id: str) -> ApiToken:
        return tokens.get_token(token_id)

    def revoke_token(self, token_id: str, now: datetime) -> None:
        tokens.revoke_token(token_id, now)

    def authenticate(self, secret: str, now: datetime) -> ApiToken | None:
        return tokens.authenticate(secret, now)

    def run_once(
        self,
        token_id: str,
        key: str,
        fingerprint: str,
        now: datetime,
        create: Callable[[], StoredResponse],
    ) -> tuple[StoredResponse, bool]:
        return idempotency.run_once(token_id, key, fingerprint, now, create)

    def purge_expired_keys(self, now: datetime) -> int:
        return idempotency.purge_expired(now)
