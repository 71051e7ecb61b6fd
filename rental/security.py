"""App-wide security settings that belong to no module: HTTPS behind a proxy and the session
cookie's Secure flag. (Headers: rental.shared.web; login and the /admin gate:
rental.accounts.web.gate.)"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS (directly, or via a
    trusted proxy's X-Forwarded-Proto), and always when SESSION_COOKIE_SECURE is set."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return has_request_context() and request.is_secure


def trust_proxy_and_secure_session_cookie(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT proxies take client IP, scheme and host from their
    X-Forwarded-* headers; mark the session cookie Secure over HTTPS."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        # Only behind a reverse proxy we trust: take client IP, scheme and host from it.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.session_interface = SessionInterface()
