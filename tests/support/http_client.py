"""A plain HTTP client for tests against real gunicorn processes: keeps cookies, does not
follow redirects, returns 4xx/5xx answers instead of raising."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def open(self, path: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, dict(exc.headers), exc.read().decode())

    def csrf(self, path: str = "/login") -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.open(path).body)
        assert match
        return match.group(1)
