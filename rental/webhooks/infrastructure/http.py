"""The HTTP sender: one POST, SSRF-safe. The host is resolved ONCE, every address checked
(rental.webhooks.domain.addresses), and the connection goes to a checked address — the Host
header, TLS SNI and certificate check use the URL's host name, but no second DNS lookup
happens (no DNS rebinding). Redirects are not followed (a 3xx is a failed attempt); connecting
and each read or write wait at most TIMEOUT_SECONDS (a receiver trickling bytes can take longer
in all, but only its own endpoint's thread waits); at most RESPONSE_MAX bytes of the answer are
read."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from rental.webhooks.domain.addresses import IP, AddressRefused, Target, vet

TIMEOUT_SECONDS = 10.0
RESPONSE_MAX = 4096


@dataclass(frozen=True, slots=True)
class SendResult:
    status: int | None  # the HTTP status; None when there was no answer
    duration_ms: int
    error: str | None = None  # why the attempt failed (None: a 2xx)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None


def resolve(host: str, port: int) -> list[IP]:
    import ipaddress

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host name {host!r} cannot be resolved ({exc}).") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, ip: IP, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._ip), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, ip: IP, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._ip = ip
        self._context = context

    def connect(self) -> None:
        sock = socket.create_connection((str(self._ip), self.port), self.timeout)
        # SNI and the certificate's name check are for the host in the URL.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class HttpSender:
    """`send(url, headers, body)`: the production sender. `allow_private`: the
    WEBHOOKS_ALLOW_PRIVATE setting; `resolver` and `ssl_context` are there for tests."""

    def __init__(
        self,
        allow_private: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        resolver=resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.resolver = resolver
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, url: str, headers: dict[str, str], body: str) -> SendResult:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            target, ips = vet(url, self.resolver, self.allow_private)
        except AddressRefused as exc:
            return SendResult(None, took(), f"Refused: {exc}")
        data = body.encode("utf-8")
        last_error = "no address could be reached"
        for ip in ips:
            connection = (
                _PinnedHTTPS(target, ip, self.timeout, self.ssl_context)
                if target.scheme == "https"
                else _PinnedHTTP(target, ip, self.timeout)
            )
            try:
                connection.request(
                    "POST", target.path, body=data, headers={**headers, "connection": "close"}
                )
                response = connection.getresponse()
                response.read(RESPONSE_MAX)
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                last_error = _describe(exc)
                continue
            finally:
                connection.close()
            if 200 <= status < 300:
                return SendResult(status, took())
            if 300 <= status < 400:
                return SendResult(status, took(), f"HTTP {status}: redirects are not followed")
            return SendResult(status, took(), f"HTTP {status}")
        return SendResult(None, took(), last_error)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "Timed out (no answer within 10 seconds)"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:400]
