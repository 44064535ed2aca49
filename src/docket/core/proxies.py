"""The client's address: REMOTE_ADDR, or X-Forwarded-For behind proxies you trust.

`DOCKET_TRUSTED_PROXIES` lists addresses or networks (`10.0.0.0/8`, `::1`) of reverse
proxies. Only when the direct peer is one of them is `X-Forwarded-For` read, from the right:
each hop a trusted proxy appended is skipped, and the first address that is not a trusted
proxy is the client. Anything further left was written by the client and could be forged.
With no trusted proxies (the default) the header is ignored entirely.

Hand-written on purpose: django-ipware trusts a fixed count or an ordered list of proxy
positions in the header and never asks who the peer is, so a client that connects directly
can name itself; it also reads a dozen other headers a client can set. Measured against the
cases in tests/unit/test_throttle.py and for speed in docs/dependencies.md.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"DOCKET_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as text ('' when the server does not know it)."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return ""
    networks = _networks(tuple(getattr(settings, "DOCKET_TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    client = remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage: nothing to the left of it can be trusted either
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
