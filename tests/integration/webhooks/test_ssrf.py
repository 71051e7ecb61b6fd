"""The SSRF guard: only http(s), no credentials, and every resolved address public — checked
when the URL is saved (message at the field, nothing saved) and again at connect time, on
the address actually connected to (no second DNS lookup); redirects are not followed.
WEBHOOKS_ALLOW_PRIVATE lets loopback and private addresses through, never link-local."""

from __future__ import annotations

import ipaddress

import pytest

from rental.extensions import db
from rental.shared.errors import ValidationError
from rental.webhooks import WebhooksFacade
from rental.webhooks.application.delivery import send_endpoint
from rental.webhooks.domain.endpoints import EndpointForm
from rental.webhooks.infrastructure.http import HttpSender
from tests.integration.webhooks.test_delivery import deliveries, endpoint, queue_test

REFUSED_ALWAYS = [
    "ftp://example.com/hooks",
    "http://user:pw@example.com/hooks",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "javascript:alert(1)",
    "http:///nohost",
    "http://exa mple.com/",
]
PRIVATE = [
    "http://127.0.0.1/hooks",
    "http://10.1.2.3/",
    "http://192.168.1.1/",
    "http://[::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://localhost/",
]


def create(url: str) -> None:
    form = EndpointForm(url, "", ("webhook.test",), False, True)
    WebhooksFacade().create_endpoint(form, WebhooksFacade.now(), "a@example.com")


def count() -> int:
    n = len(WebhooksFacade().list_endpoints())
    db.session.rollback()
    return n


@pytest.mark.parametrize("url", REFUSED_ALWAYS + PRIVATE)
def test_refused_when_saved(app, url):
    with pytest.raises(ValidationError) as refused:
        create(url)
    assert set(refused.value.errors) == {"url"}
    assert count() == 0


@pytest.mark.parametrize("url", REFUSED_ALWAYS)
def test_refused_when_saved_even_with_private_allowed(app, private_ok, url):
    with pytest.raises(ValidationError):
        create(url)


@pytest.mark.parametrize("url", PRIVATE)
def test_private_addresses_allowed_with_the_setting(app, private_ok, url):
    create(url)
    assert count() == 1


def test_checked_again_at_connect_time(app, clock, receivers, monkeypatch):
    """Saved while private addresses were allowed; the setting off, the worker refuses to
    connect and the receiver gets nothing."""
    receiver = receivers()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    endpoint_id, _ = endpoint(receiver.url)
    queue_test(endpoint_id)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    assert send_endpoint(endpoint_id) == 1
    (row,) = deliveries(endpoint_id)
    assert row.status == "PENDING" and row.response_code is None
    assert "Refused" in row.error and "127.0.0.1" in row.error
    assert receiver.requests == []


def test_a_name_that_now_resolves_to_loopback_is_refused_at_connect(receivers):
    """DNS rebinding: whatever the name resolved to when saved, the address resolved at send
    time is the one checked — and loopback is refused."""
    receiver = receivers()

    def rebinding(host, port):
        return [ipaddress.ip_address("127.0.0.1")]

    sender = HttpSender(allow_private=False, resolver=rebinding)
    result = sender.send(f"http://hooks.example.com:{receiver.port}/x", {}, "{}")
    assert not result.ok and "127.0.0.1" in result.error
    assert receiver.requests == []


def test_the_connection_goes_to_the_checked_address_with_the_hosts_name(receivers):
    """One resolution: the sender connects to the address it checked and sends the URL's host
    name in the Host header (no second DNS lookup — this name does not resolve at all)."""
    receiver = receivers()
    lookups = []

    def once(host, port):
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    sender = HttpSender(allow_private=True, resolver=once)
    result = sender.send(f"http://receiver.invalid:{receiver.port}/in", {"x-a": "1"}, "{}")
    assert result.ok, result.error
    assert lookups == ["receiver.invalid"]
    assert receiver.requests[0].headers["host"] == f"receiver.invalid:{receiver.port}"
    assert receiver.requests[0].path == "/in"


def test_redirects_are_not_followed(app, clock, private_ok, receivers):
    target = receivers()
    redirecting = receivers(statuses=[302], location=target.url)
    endpoint_id, _ = endpoint(redirecting.url)
    queue_test(endpoint_id)
    send_endpoint(endpoint_id)
    (row,) = deliveries(endpoint_id)
    assert row.status == "PENDING" and row.response_code == 302
    assert "redirect" in row.error
    assert target.requests == []
