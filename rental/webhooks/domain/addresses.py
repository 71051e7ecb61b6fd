"""Which URLs a webhook may be sent to (the SSRF guard). Only http and https, no user name or
password in the URL, and a host whose EVERY address is public: no loopback, private,
link-local (169.254.169.254, the cloud metadata service), multicast, reserved or unspecified
address, also not hidden in an IPv4-mapped IPv6 address. With `allow_private`
(WEBHOOKS_ALLOW_PRIVATE=1: tests and local demos) loopback and private addresses pass; the
link-local, multicast, reserved and unspecified ones never do.

The same check runs when the URL is saved and again when the worker connects — on the
addresses it then connects to, so a name that later resolves elsewhere (DNS rebinding) is
caught."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

URL_MAX = 2000

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL or one of its addresses may not be called; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str  # http | https
    host: str  # as written (lower case), the Host header and TLS name
    port: int
    path: str  # path and query, at least "/"

    @property
    def literal_ip(self) -> IP | None:
        try:
            return ipaddress.ip_address(self.host.strip("[]"))
        except ValueError:
            return None


def parse_url(url: str) -> Target:
    """AddressRefused for anything but an absolute http(s) URL without credentials."""
    url = url.strip()
    if not url:
        raise AddressRefused("Enter the address the events are sent to.")
    if len(url) > URL_MAX:
        raise AddressRefused(f"At most {URL_MAX} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise AddressRefused("The address may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("This is not a valid web address.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise AddressRefused("Only http:// and https:// addresses can receive webhooks.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise AddressRefused(
            "Leave the user name and password out of the address; verify the signature instead."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused("The address needs a host name, e.g. https://example.com/hooks.")
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def refusal(ip: IP, allow_private: bool) -> str | None:
    """Why `ip` may not be called, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refusal(ip.ipv4_mapped, allow_private)
    reserved = ip.is_reserved and not ip.is_loopback  # ::1 lies in IPv6's reserved ::/8
    if ip.is_unspecified or ip.is_multicast or ip.is_link_local or reserved:
        return f"{ip} is not a public address (link-local, multicast or reserved)."
    if ip.is_loopback or ip.is_private or getattr(ip, "is_site_local", False):
        return None if allow_private else f"{ip} is a private or loopback address."
    if not ip.is_global:
        return f"{ip} is not a public address."
    return None


def check_addresses(ips: Iterable[IP], allow_private: bool) -> list[IP]:
    """The addresses, all allowed; AddressRefused naming the first that is not."""
    found = list(dict.fromkeys(ips))
    if not found:
        raise AddressRefused("The host name does not resolve to any address.")
    for ip in found:
        why = refusal(ip, allow_private)
        if why:
            raise AddressRefused(f"Webhooks may only go to public addresses: {why}")
    return found


Resolver = Callable[[str, int], list[IP]]


def vet(url: str, resolve: Resolver, allow_private: bool) -> tuple[Target, list[IP]]:
    """The URL's target and its allowed addresses (resolved once, by `resolve`)."""
    target = parse_url(url)
    literal = target.literal_ip
    ips = [literal] if literal is not None else resolve(target.host, target.port)
    return target, check_addresses(ips, allow_private)
