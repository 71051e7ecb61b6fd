"""/admin/webhooks: an administrator creates an endpoint (the secret shown once), a refused URL
is answered at the field and saves nothing; staff read, only administrators write; anonymous
visitors go to the login; "Send test event" and "Redeliver" queue deliveries (POST + CSRF);
a disabled endpoint shows a banner."""

from __future__ import annotations

import re
from datetime import timedelta

from rental.extensions import db
from rental.webhooks import WebhooksFacade
from rental.webhooks.application.delivery import send_endpoint
from tests.integration.webhooks.test_delivery import deliveries, endpoint, queue_test
from tests.support.auth import csrf_token

PAGE = "/admin/webhooks"


def create(client, url: str, *types: str, customers: bool = False):
    data = {
        "csrf_token": csrf_token(client, PAGE),
        "url": url,
        "description": "Accounting",
        "event_types": list(types or ("order.confirmed",)),
        "active": "on",
    }
    if customers:
        data["customers"] = "on"
    return client.post(PAGE, data=data)


def listed() -> list:
    found = WebhooksFacade().list_endpoints()
    db.session.rollback()
    return found


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(app, admin_client, private_ok):
    response = create(
        admin_client, "http://127.0.0.1:9/hooks", "order.confirmed", "payment.received"
    )
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    secret = re.search(r'id="secret" readonly value="(whsec_[A-Za-z0-9+/=]+)"', body).group(1)
    assert len(secret) > 40
    (found,) = listed()
    assert found.event_types == ("order.confirmed", "payment.received")
    assert not found.customers_scope and found.active
    page = admin_client.get(f"{PAGE}/{found.id}").get_data(as_text=True)
    assert secret not in page and "Send test event" in page
    assert "Accounting" in admin_client.get(PAGE).get_data(as_text=True)


def test_a_refused_url_is_answered_at_the_field_and_nothing_is_saved(app, admin_client):
    response = create(admin_client, "http://10.0.0.5/hooks")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="url-error"' in body and "private" in body
    assert 'value="http://10.0.0.5/hooks"' in body  # kept for correcting
    assert listed() == []
    response = create(admin_client, "https://example.com/x")  # no event type ticked
    data = {"csrf_token": csrf_token(admin_client, PAGE), "url": "https://1.1.1.1/"}
    response = admin_client.post(PAGE, data=data)
    assert response.status_code == 422 and 'id="event_types-error"' in response.get_data(True)
    assert listed() == []


def test_staff_read_but_cannot_write_and_anonymous_visitors_go_to_the_login(
    app, client, staff_client, private_ok, clock, receivers
):
    endpoint_id, _ = endpoint(receivers().url)
    assert staff_client.get(PAGE).status_code == 200
    page = staff_client.get(f"{PAGE}/{endpoint_id}")
    assert page.status_code == 200 and "Send test event" not in page.get_data(as_text=True)
    token = csrf_token(staff_client, PAGE)
    assert create(staff_client, "http://127.0.0.1/x").status_code == 403
    for action in ("test", "disable", "delete", "rotate"):
        response = staff_client.post(f"{PAGE}/{endpoint_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    anonymous = client.get(PAGE)
    assert anonymous.status_code in (302, 303) and "login" in anonymous.headers["Location"]
    assert client.post(f"{PAGE}/{endpoint_id}/test").status_code in (302, 303, 400, 403)
    assert deliveries(endpoint_id) == []


def test_send_test_event_and_redeliver(app, admin_client, private_ok, clock, receivers):
    receiver = receivers()
    endpoint_id, _ = endpoint(receiver.url)
    token = csrf_token(admin_client, PAGE)
    assert admin_client.post(f"{PAGE}/{endpoint_id}/test").status_code == 400  # no CSRF
    response = admin_client.post(f"{PAGE}/{endpoint_id}/test", data={"csrf_token": token})
    assert response.status_code == 303
    (first,) = deliveries(endpoint_id)
    assert first.event_type == "webhook.test"
    send_endpoint(endpoint_id)
    page = admin_client.get(f"{PAGE}/{endpoint_id}").get_data(as_text=True)
    assert "succeeded" in page and "200" in page
    response = admin_client.post(
        f"{PAGE}/{endpoint_id}/deliveries/{first.id}/redeliver", data={"csrf_token": token}
    )
    assert response.status_code == 303
    first, again = deliveries(endpoint_id)
    assert again.body == first.body and again.message_id != first.message_id
    assert again.status == "PENDING"
    send_endpoint(endpoint_id)
    assert [r.body for r in receiver.requests] == [first.body, first.body]
    bad = admin_client.post(
        f"{PAGE}/{endpoint_id}/deliveries/999999/redeliver", data={"csrf_token": token}
    )
    assert bad.status_code == 404


def test_a_disabled_endpoint_shows_a_banner(app, admin_client, private_ok, clock, receivers):
    receiver = receivers(statuses=[500] * 50)
    endpoint_id, _ = endpoint(receiver.url)
    queue_test(endpoint_id)
    for _ in range(20):
        send_endpoint(endpoint_id)
        clock.advance(timedelta(hours=3))
    body = admin_client.get(PAGE).get_data(as_text=True)
    assert 'id="webhooks-disabled"' in body and "switched off" in body
    page = admin_client.get(f"{PAGE}/{endpoint_id}").get_data(as_text=True)
    assert "Disabled automatically" in page and "failed" in page
