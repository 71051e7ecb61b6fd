"""The staff dashboard (/admin) tells staff when the worker switched a webhook endpoint off after
24 hours of failures, with a link to /admin/webhooks; an endpoint an administrator disabled by
hand, or one enabled again, raises no alert."""

from __future__ import annotations

from datetime import timedelta

from rental.extensions import db
from rental.webhooks import WebhooksFacade
from rental.webhooks.application.delivery import send_endpoint
from tests.integration.test_dashboard import words
from tests.integration.webhooks.test_delivery import endpoint, endpoint_row, queue_test

ALERT = 'id="dashboard-webhooks-disabled"'


def fail_for_a_day(endpoint_id: str, clock) -> None:
    """Every attempt answered 500 while the injected clock moves on: disabled after 24 hours."""
    queue_test(endpoint_id)
    for _ in range(20):
        send_endpoint(endpoint_id)
        clock.advance(timedelta(hours=3))
        if not endpoint_row(endpoint_id).active:
            return
    raise AssertionError("the endpoint was not disabled")


def test_staff_see_an_alert_linking_to_the_webhooks_until_the_endpoint_is_enabled(
    app, staff_client, private_ok, clock, receivers
):
    failing = receivers(statuses=[500] * 50)
    healthy = receivers()
    broken_id, _ = endpoint(failing.url)
    paused_id, _ = endpoint(healthy.url)
    WebhooksFacade().set_active(paused_id, False, clock.now)  # by hand: no alert
    db.session.rollback()
    assert ALERT not in staff_client.get("/admin/").get_data(as_text=True)

    fail_for_a_day(broken_id, clock)
    page = staff_client.get("/admin/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert ALERT in body
    assert "1 webhook endpoint switched off after failing for 24 hours" in words(page)
    assert 'href="/admin/webhooks"' in body.split(ALERT, 1)[1].split("</p>", 1)[0]
    # The link leads staff to the page that names the endpoint.
    assert 'id="webhooks-disabled"' in staff_client.get("/admin/webhooks").get_data(as_text=True)

    WebhooksFacade().set_active(broken_id, True, clock.now)  # fixed and enabled again
    db.session.rollback()
    assert ALERT not in staff_client.get("/admin/").get_data(as_text=True)


def test_two_disabled_endpoints_are_counted(app, staff_client, private_ok, clock, receivers):
    for _ in range(2):
        endpoint_id, _ = endpoint(receivers(statuses=[500] * 50).url)
        fail_for_a_day(endpoint_id, clock)
    assert "2 webhook endpoints switched off" in words(staff_client.get("/admin/"))
