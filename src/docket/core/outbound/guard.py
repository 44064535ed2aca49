"""Which addresses outbound requests may reach (SSRF protection).

A URL typed by a user must not reach the server's own network: loopback, private, link-local,
unique-local, multicast, unspecified, shared (CGNAT) and reserved addresses are refused, and
with them the cloud metadata services (169.254.169.254, fd00:ec2::254, which are link-local or
unique-local). The check is made when connecting, on every address the name resolves to, and
the connection goes to the address that was checked (GuardedBackend), so a DNS answer that
changes between a check and the connection (rebinding) cannot slip a private address in.

Operators running chat servers on their own network allow them explicitly:
DOCKET_WEBHOOK_ALLOW_HOSTS (host names, exact) and DOCKET_WEBHOOK_ALLOW_NETWORKS (CIDR blocks).
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(httpcore.ConnectError):
    """The target resolves to an address outbound requests may not reach."""


@dataclass(frozen=True)
class Policy:
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[Network, ...] = ()

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    def allows(self, address: Address) -> bool:
        return any(address in network for network in self.allow_networks) or is_public(address)


def policy() -> Policy:
    """The policy of the settings (read on each connection, so tests may change them)."""
    hosts = getattr(settings, "DOCKET_WEBHOOK_ALLOW_HOSTS", [])
    networks = getattr(settings, "DOCKET_WEBHOOK_ALLOW_NETWORKS", [])
    return Policy(
        frozenset(h.lower().rstrip(".") for h in hosts if h),
        tuple(ipaddress.ip_network(n, strict=False) for n in networks if n),
    )


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), which is what it reaches."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public(address: Address) -> bool:
    """A globally routable unicast address (what `is_global` says, minus multicast, and
    judged by the IPv4 address inside an IPv6 one)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    return address.is_global and not address.is_multicast


def refusal(host: str, addresses: Iterable[Address], rules: Policy) -> str | None:
    """Why connecting to `host` at `addresses` is refused, or None when it is allowed."""
    if rules.allows_host(host):
        return None
    for address in addresses:
        if not rules.allows(address):
            return f"{host} resolves to {address}, a non-public address (not allowed)"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (an IP literal is itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as failed:
        raise httpcore.ConnectError(f"cannot resolve {host}: {failed.strerror}") from failed
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's own socket backend, but a name is resolved once here, every address is
    checked, and the socket connects to a checked address. TLS still verifies and sends (SNI)
    the host name: httpcore takes it from the URL, not from this connection."""

    def __init__(self, rules: typing.Callable[[], Policy] = policy):
        self.rules = rules

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        why = refusal(host, addresses, self.rules())
        if why is not None:
            raise Refused(why)
        failure: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failed:  # try the name's next address
                failure = failed
        raise failure or httpcore.ConnectError(f"{host} has no address")
