"""WebhooksFacade: what Webhooks' own pages (and the dashboard) ask of it — one unit_of_work
per command."""

from __future__ import annotations

from datetime import datetime

from rental.webhooks.application import endpoints, runtime
from rental.webhooks.domain.endpoints import AUTO_DISABLED, Delivery, Endpoint, EndpointForm
from rental.webhooks.infrastructure import store


class WebhooksFacade:
    @staticmethod
    def now() -> datetime:
        """The time the pages act at (the injected clock in tests, as the worker's)."""
        return runtime.now()

    def create_endpoint(self, form: EndpointForm, now: datetime, actor: str) -> tuple[str, str]:
        """(ID, secret): the secret is returned this once to be shown. ValidationError on the
        `url` field when the address is refused (SSRF guard)."""
        return endpoints.create(form, now, actor)

    def update_endpoint(self, endpoint_id: str, form: EndpointForm, now: datetime) -> None:
        endpoints.update(endpoint_id, form, now)

    def set_active(self, endpoint_id: str, active: bool, now: datetime) -> None:
        endpoints.set_active(endpoint_id, active, now)

    def rotate_secret(self, endpoint_id: str, now: datetime) -> str:
        return endpoints.rotate_secret(endpoint_id, now)

    def delete_endpoint(self, endpoint_id: str) -> None:
        endpoints.delete(endpoint_id)

    def send_test(self, endpoint_id: str, now: datetime) -> None:
        endpoints.send_test(endpoint_id, now)

    def redeliver(self, endpoint_id: str, delivery_id: str, now: datetime) -> None:
        endpoints.redeliver(endpoint_id, delivery_id, now)

    def get_endpoint(self, endpoint_id: str) -> Endpoint:
        return endpoints.get(endpoint_id)

    def list_endpoints(self) -> list[Endpoint]:
        return store.all_endpoints()

    def pending_counts(self) -> dict[str, int]:
        return store.pending_counts()

    def deliveries(self, endpoint_id: str, limit: int = 50) -> list[Delivery]:
        return endpoints.deliveries(endpoint_id, limit)

    def disabled_automatically(self) -> list[Endpoint]:
        """Endpoints the worker switched off (for the banners)."""
        return [
            e
            for e in store.all_endpoints()
            if not e.active and (e.disabled_reason or "").startswith(AUTO_DISABLED)
        ]

    def count_disabled_automatically(self) -> int:
        """How many endpoints the worker switched off and nobody enabled again (one COUNT: the
        staff dashboard's alert)."""
        return store.count_disabled_automatically()
