"""Every form's error state renders through the htmx path too (the block of the page, with the
macros the template imports at top level), with the same messages as without JavaScript.

Forms are not listed by hand: every GET route of app.url_map is opened (as a visitor and as an
admin, with real ids) and every POST form found on those pages is sent back with its visible
fields blank — once as a plain form post and once as an htmx request. POST routes that no page
shows a form for in this data set are sent an empty form the same two ways."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from rental.shared.fragments import render_block
from tests.support.auth import csrf_token
from tests.support.world import build_url, make_world, routes

FIELD_ERROR = re.compile(r'class="field-error"[^>]*>([^<]*)<')


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._current = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea"):
            name = a.get("name")
            if not name:
                return
            kind = (a.get("type") or "text").lower()
            if kind == "hidden":
                self._current["fields"][name] = a.get("value") or ""
            elif kind in ("checkbox", "radio", "submit", "button"):
                return  # unticked: not sent
            else:
                self._current["fields"][name] = ""  # blank: the error state

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms_on(client, url: str) -> list[dict]:
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.content_type:
        return []
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def _endpoint(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path, method="POST")[0]
    except Exception:
        return None


def test_every_form_shows_its_errors_the_same_with_and_without_htmx(app, client, admin_client):
    world = make_world()
    forms: dict[str, list[tuple[str, dict]]] = {}
    for who in (client, admin_client):
        for rule in routes(app, "GET"):
            if rule.endpoint in ("static", "customers.export"):
                continue
            for form in _forms_on(who, build_url(app, rule, world)):
                path = urlsplit(form["action"]).path
                endpoint = _endpoint(app, path)
                if endpoint and endpoint != "accounts.logout":
                    forms.setdefault(endpoint, []).append((form["action"], form["fields"]))

    csrf = csrf_token(admin_client, "/admin/")
    with_errors, problems = set(), []
    for rule in routes(app, "POST"):
        if rule.endpoint == "accounts.logout":
            continue
        sent = forms.get(rule.endpoint) or [(build_url(app, rule, world), {})]
        for action, fields in sent[:2]:
            data = {**fields, "csrf_token": csrf}
            plain = admin_client.post(action, data=data)
            htmx = admin_client.post(action, data=data, headers={"HX-Request": "true"})
            where = f"{rule.endpoint} {action}"
            if plain.status_code >= 500 or htmx.status_code >= 500:
                problems.append(f"{where}: {plain.status_code} / htmx {htmx.status_code}")
                continue
            if plain.status_code != 422:
                continue
            with_errors.add(rule.endpoint)
            page, fragment = plain.get_data(as_text=True), htmx.get_data(as_text=True)
            if htmx.status_code != 422:
                problems.append(f"{where}: 422 without JavaScript, {htmx.status_code} with htmx")
            elif FIELD_ERROR.findall(page) != FIELD_ERROR.findall(fragment):
                problems.append(f"{where}: different messages with htmx")
    assert problems == [], "\n".join(problems)
    # The forms that the issue found broken, and the other data-entry forms, were exercised.
    assert {
        "catalog_admin.create_type",
        "catalog_admin.update_type",
        "pricing_admin.save",
        "catalog_admin.create_category",
        "inventory_admin.register",
        "inventory_admin.schedule_maintenance",
        "customers.create",
        "accounts.create_user",
        "booking.submit_details",
    } <= with_errors, with_errors


def test_a_block_sees_imports_macros_and_sets_of_its_template_and_parents(app):
    from jinja2 import DictLoader, Environment

    env = Environment(
        loader=DictLoader(
            {
                "lib.html": "{% macro shout(x) %}{{ x|upper }}!{% endmacro %}",
                "base.html": (
                    '{% import "lib.html" as lib %}{% set site = "Rent" %}'
                    "<html>{% block body %}{% endblock %}</html>"
                ),
                "page.html": (
                    '{% extends "base.html" %}{% from "lib.html" import shout %}'
                    "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}"
                    "{% block body %}<p>{% block inner %}{{ shout(name) }} {{ twice('a') }} "
                    "{{ lib.shout(site) }}{% endblock %}</p>{% endblock %}"
                ),
            }
        )
    )
    assert render_block(env, "page.html", "inner", {"name": "hi"}) == "HI! aa RENT!"
    assert env.get_template("page.html").render(name="hi") == "<html><p>HI! aa RENT!</p></html>"
